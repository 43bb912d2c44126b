/* xfrmctl state export: written next (issue 5). */
#include "cli.h"

int state_export_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	err_msg("state export: not implemented yet");
	return EXIT_RUNTIME;
}
