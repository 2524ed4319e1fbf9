/* cli_serve.c — STUB, being written. */
#include <stdio.h>
#include "podtune/cli.h"
int pt_cli_serve(int argc, char **argv) { (void)argc; (void)argv; fputs("podtune serve: not implemented yet\n", stderr); return 2; }
