#include "CCurlShims.h"

CURLcode cshim_curl_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode cshim_curl_easy_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode cshim_curl_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}
CURLcode cshim_curl_easy_setopt_data_callback(CURL *easy, CURLoption option, cshim_curl_data_callback callback) {
    return curl_easy_setopt(easy, option, callback);
}
CURLcode cshim_curl_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}
CURLcode cshim_curl_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value) {
    return curl_easy_getinfo(easy, info, value);
}
CURLcode cshim_curl_easy_setopt_closesocket_callback(CURL *easy, cshim_curl_closesocket_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, callback);
}
CURLMcode cshim_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}
CURLMcode cshim_curl_multi_setopt_pointer(CURLM *multi, CURLMoption option, void *value) {
    return curl_multi_setopt(multi, option, value);
}
CURLMcode cshim_curl_multi_setopt_socket_callback(CURLM *multi, cshim_curl_socket_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, callback);
}
CURLMcode cshim_curl_multi_setopt_timer_callback(CURLM *multi, cshim_curl_timer_callback callback) {
    return curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, callback);
}
size_t cshim_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
int cshim_curlpause_cont(void) { return CURLPAUSE_CONT; }
curl_socket_t cshim_curl_socket_timeout(void) { return CURL_SOCKET_TIMEOUT; }
