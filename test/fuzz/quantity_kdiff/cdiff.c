/* cdiff.c — podtune's side of the differential check: canonical form and to_int per input line. */
#include <stdio.h>
#include <string.h>

#include "podtune/quantity.h"

int main(void)
{
    static char line[1 << 20];
    while (fgets(line, sizeof(line), stdin)) {
        size_t n = strlen(line);
        struct pt_quantity q;
        char buf[PT_QUANTITY_BUFSZ];
        int64_t v = 0;
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        int rc = pt_quantity_parse(line, &q, NULL);
        if (rc) {
            puts(rc == PT_ERANGE ? "RANGE" : "ERR");
            continue;
        }
        pt_quantity_format(&q, buf, sizeof(buf));
        pt_quantity_to_int(&q, &v);
        printf("%s %lld\n", buf, (long long)v);
    }
    return 0;
}
