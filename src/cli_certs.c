/* cli_certs.c — STUB, being written. */
#include <stdio.h>
#include "podtune/cli.h"
int pt_cli_certs(int argc, char **argv) { (void)argc; (void)argv; fputs("podtune certs: not implemented yet\n", stderr); return 2; }
