// The size of a heap allocation, for `DescriptorLayout`'s search inside one object: it must not
// read past the object's own memory. glibc's malloc_usable_size, which Swift's Glibc module does
// not show; 0 (search nothing) where there is no such call.
#pragma once
#include <stddef.h>
#if defined(__linux__) && __has_include(<malloc.h>)
#include <malloc.h>
static inline size_t parley_allocation_size(const void *object) { return malloc_usable_size((void *)object); }
#else
static inline size_t parley_allocation_size(const void *object) { (void)object; return 0; }
#endif
