#include "alert_http.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonout.h"
#include "log.h"
#include "numparse.h"

struct api {
    struct alert_engine *e;
    const char *token;
};

/* One api per process is enough: the daemon has one engine and one server. */
static struct api the_api;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool alert_token_equal(const char *a, const char *b)
{
    /* the time depends on the length of a (the caller's guess) only */
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned)((unsigned char)a[i] ^ (unsigned char)(lb ? b[i % lb] : 0));
    return diff == 0;
}

static void error(struct httpd_response *res, int status, const char *msg)
{
    res->status = status;
    buf_puts(&res->body, "{");
    json_append_kv(&res->body, "error", msg);
    buf_puts(&res->body, "}\n");
}

static void list(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    struct api *api = ctx;
    struct alert_filter f = {httpd_query(req, "state"),    httpd_query(req, "severity"),
                             httpd_query(req, "district"), httpd_query(req, "category"),
                             httpd_query(req, "device"),   httpd_query(req, "rule")};
    int rc = alert_engine_list_json(api->e, &f, &res->body);
    if (rc == -EINVAL) {
        buf_reset(&res->body);
        error(res, 400,
              "unknown state or severity; use state=pending|firing|resolved, "
              "severity=critical|major|minor|warning");
    } else if (rc) {
        buf_reset(&res->body);
        error(res, 500, "the list does not fit in the response");
    }
}

/* 0 when the request carries the operator token; otherwise the response is set. */
static int authorise(const struct api *api, const struct httpd_request *req,
                     struct httpd_response *res)
{
    const char *h = httpd_header(req, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) != 0) {
        res->extra_header_name = "WWW-Authenticate";
        res->extra_header_value = "Bearer realm=\"lifeline\"";
        error(res, 401, "send the operator token as 'Authorization: Bearer TOKEN'");
        return -EACCES;
    }
    if (!api->token || !*api->token) {
        error(res, 403, "acknowledgement is off: set http.token_file or http.token_env");
        return -EACCES;
    }
    if (!alert_token_equal(h + 7, api->token)) {
        error(res, 403, "wrong token");
        return -EACCES;
    }
    return 0;
}

static void ack(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    struct api *api = ctx;
    const char *rest = req->rest ? req->rest : "";
    size_t idlen = strcspn(rest, "/");
    uint64_t id;
    if (strcmp(rest + idlen, "/ack") != 0 || num_parse_u64(rest, idlen, UINT64_MAX, &id) != 0) {
        error(res, 404, "no such endpoint; use POST /api/v1/alerts/{id}/ack");
        return;
    }
    if (authorise(api, req, res) != 0)
        return;
    char by[64] = "";
    if (req->body_len) {
        cJSON *doc = cJSON_ParseWithLength(req->body, req->body_len);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(doc, "by");
        bool ok = cJSON_IsObject(doc) && (!b || (cJSON_IsString(b) && strlen(b->valuestring) < 64));
        if (ok && b)
            memcpy(by, b->valuestring, strlen(b->valuestring) + 1);
        cJSON_Delete(doc);
        if (!ok) {
            error(res, 400, "the body must be JSON like {\"by\": \"name\"} (name under 64 bytes)");
            return;
        }
    }
    int rc = alert_engine_ack(api->e, id, by, wall_ms());
    if (rc == -ENOENT) {
        error(res, 404, "no such alert");
        return;
    }
    if (rc == -EINVAL) {
        error(res, 409, "the alert is not firing");
        return;
    }
    log_info("alerts", "acknowledged over http id=%llu by=\"%s\"", (unsigned long long)id,
             by[0] ? by : "operator");
    buf_puts(&res->body, "{\"ok\":true,\"id\":");
    buf_printf(&res->body, "%llu}\n", (unsigned long long)id);
}

int alert_http_register(struct httpd *s, struct alert_engine *e, const char *token)
{
    the_api.e = e;
    the_api.token = token;
    int rc = httpd_route(s, "GET", "/api/v1/alerts", list, &the_api);
    return rc ? rc : httpd_route(s, "POST", "/api/v1/alerts/*", ack, &the_api);
}
