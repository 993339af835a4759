// epoll and eventfd for parley-load's direct receive path (Sources/ParleyLoad/Direct): Swift's
// Glibc module does not export <sys/epoll.h>, and NIO's own shim is not a public product.
#pragma once
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
