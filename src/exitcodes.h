/*
 * exitcodes.h -- crashtrail's process exit codes (DESIGN.md section 11).
 * They follow sysexits(3): 64 usage, 78 configuration, 111 system error
 * (the latter as in skarnet's tools: "temporary failure").
 */
#ifndef EXITCODES_H
#define EXITCODES_H

#define EX_CT_OK	0
#define EX_CT_USAGE	64
#define EX_CT_CONFIG	78
#define EX_CT_SYSTEM	111

#endif /* EXITCODES_H */
