// liburing's header where the machine has it; nothing otherwise (CParleyRing checks the same).
#pragma once
#if defined(__linux__) && __has_include(<liburing.h>)
#include <liburing.h>
#endif
