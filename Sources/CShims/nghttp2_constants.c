#include "CShims.h"
#include <nghttp2/nghttp2.h>

int32_t cshim_nghttp2_initial_window_size(void) { return NGHTTP2_INITIAL_WINDOW_SIZE; }
int32_t cshim_nghttp2_max_window_size(void) { return NGHTTP2_MAX_WINDOW_SIZE; }
