// Typed wrappers for libcurl's variadic functions and expression macros, which Swift cannot call.
#ifndef CCURL_SHIMS_H
#define CCURL_SHIMS_H

#include <curl/curl.h>

typedef size_t (*cshim_curl_data_callback)(char *data, size_t size, size_t count, void *user);

CURLcode cshim_curl_easy_setopt_long(CURL *easy, CURLoption option, long value);
CURLcode cshim_curl_easy_setopt_string(CURL *easy, CURLoption option, const char *value);
CURLcode cshim_curl_easy_setopt_pointer(CURL *easy, CURLoption option, void *value);
CURLcode cshim_curl_easy_setopt_data_callback(CURL *easy, CURLoption option, cshim_curl_data_callback callback);
CURLcode cshim_curl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value);
CURLcode cshim_curl_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value);
CURLMcode cshim_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// CURL_WRITEFUNC_PAUSE and CURLPAUSE_CONT are expressions, not plain constants.
size_t cshim_curl_writefunc_pause(void);
int cshim_curlpause_cont(void);

#endif
