/* all_headers.c built as C++ (see there). */
#include "all_headers.c"
