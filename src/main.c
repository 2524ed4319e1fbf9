/* main.c — `podtune` entry point: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "podtune/cli.h"

static void usage(FILE *out)
{
    fputs("usage: podtune <command> [options]\n"
          "\n"
          "commands:\n"
          "  serve     run the admission webhook (HTTPS)\n"
          "  mutate    print what pods become under the policies\n"
          "  explain   show how each pod is classified, which profile wins and why\n"
          "  validate  check a policy directory\n"
          "  test      run golden cases\n"
          "  certs     make a development CA and serving certificate\n"
          "  version   print the version\n"
          "\n"
          "Run 'podtune <command> --help' for a command's options.\n",
          out);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"serve", pt_cli_serve},       {"mutate", pt_cli_mutate}, {"explain", pt_cli_explain},
        {"validate", pt_cli_validate}, {"test", pt_cli_test},     {"certs", pt_cli_certs},
    };

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("podtune %s\n", PODTUNE_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "podtune: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
