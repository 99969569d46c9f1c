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
/// The callback curl closes its sockets through (it would call close() itself), so a loop can drop them first.
typedef int (*cshim_curl_closesocket_callback)(void *user, curl_socket_t socket);
CURLcode cshim_curl_easy_setopt_closesocket_callback(CURL *easy, cshim_curl_closesocket_callback callback);
CURLMcode cshim_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
CURLMcode cshim_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value);

/// The callbacks through which curl asks an event loop to watch its sockets and to wake it at a time.
typedef int (*cshim_curl_socket_callback)(CURL *easy, curl_socket_t socket, int what, void *user, void *socket_user);
typedef int (*cshim_curl_timer_callback)(CURLM *multi, long timeout_ms, void *user);
CURLMcode cshim_curl_multi_setopt_socket_callback(CURLM *multi, cshim_curl_socket_callback callback);
CURLMcode cshim_curl_multi_setopt_timer_callback(CURLM *multi, cshim_curl_timer_callback callback);

/// CURL_WRITEFUNC_PAUSE and CURLPAUSE_CONT are expressions, not plain constants.
size_t cshim_curl_writefunc_pause(void);
int cshim_curlpause_cont(void);
/// CURL_SOCKET_TIMEOUT: the socket argument of `curl_multi_socket_action` when a timer, not a socket, fired.
curl_socket_t cshim_curl_socket_timeout(void);

#endif
