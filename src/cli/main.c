/* The oorkonde command: parses the subcommand and hands over to its handler. */
#include "ok_version.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("oorkonde %s\n", OK_VERSION);
		return 0;
	}
	return 0;
}
