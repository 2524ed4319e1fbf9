/* cli_engine.c — STUB, being written. */
#include "podtune/cli.h"
int pt_cli_validate(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int pt_cli_mutate(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int pt_cli_explain(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int pt_cli_test(int argc, char **argv) { (void)argc; (void)argv; return 2; }
