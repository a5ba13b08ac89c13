/* driver.h - the dlc command line: parses options, runs the stages,
 * writes outputs. Returns the process exit status (0 ok, 1 user error,
 * 2 usage error). */
#ifndef DLC_DRIVER_H
#define DLC_DRIVER_H

int dlc_main(int argc, char **argv);

#endif
