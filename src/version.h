/* version.h -- crashtrail's version, bumped by hand at releases. */
#ifndef VERSION_H
#define VERSION_H
#define CRASHTRAIL_VERSION	"0.1.0"
#endif
