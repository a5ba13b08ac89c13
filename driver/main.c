/* main.c - the dlc command. Everything happens in driver.c; main only hands
 * over argv so that tests and fuzzers can call the driver directly. */
#include "driver.h"

int main(int argc, char **argv)
{
	return dlc_main(argc, argv);
}
