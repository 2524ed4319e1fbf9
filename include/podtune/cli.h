/* cli.h — the subcommands. Each takes argv after the subcommand name and
 * returns the process exit status: 0 success, 1 validation or test failures,
 * 2 usage or I/O errors. */
#ifndef PODTUNE_CLI_H
#define PODTUNE_CLI_H

int pt_cli_validate(int argc, char **argv); /* cli_engine.c */
int pt_cli_mutate(int argc, char **argv);   /* cli_engine.c */
int pt_cli_explain(int argc, char **argv);  /* cli_engine.c */
int pt_cli_test(int argc, char **argv);     /* cli_test.c */
int pt_cli_serve(int argc, char **argv);    /* cli_serve.c */
int pt_cli_certs(int argc, char **argv);    /* cli_certs.c */

#endif
