// Headers only (include/CParleyPoll.h); SwiftPM wants one source file in a C target.
#include "CParleyPoll.h"
