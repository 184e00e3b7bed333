/* Placeholder until the subcommands land. */
#include <stdio.h>

int main(void)
{
    fputs("lifeline: not built yet\n", stderr);
    return 1;
}
