#include "alert.h"

#include <errno.h>
#include <string.h>

static const char *const states[] = {"pending", "firing", "resolved"};
static const char *const severities[] = {"critical", "major", "minor", "warning"};
static const char *const transitions[] = {"fired",        "updated",  "reminder",
                                          "acknowledged", "resolved", "flapping"};

const char *alert_state_name(enum alert_state s)
{
    return (unsigned)s < 3 ? states[s] : "unknown";
}

const char *alert_severity_name(enum alert_severity s)
{
    return (unsigned)s < 4 ? severities[s] : "unknown";
}

const char *alert_transition_name(enum alert_transition t)
{
    return (unsigned)t < 6 ? transitions[t] : "unknown";
}

int alert_severity_parse(const char *name, enum alert_severity *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, severities[i]) == 0) {
            *out = (enum alert_severity)i;
            return 0;
        }
    }
    return -EINVAL;
}
