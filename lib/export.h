/* SAs for other tools: Wireshark's ESP SA table, and the file it goes to.
 *
 * Wireshark 4.0 keeps its ESP SAs in the "esp_sa" table (a UAT file of
 * that name in its profile directory, or `-o uat:esp_sa:LINE` on tshark's
 * command line). One SA a line, eight fields, each a quoted string:
 *
 *   "IPv4","10.0.0.1","10.0.0.2","0x00001000","AES-GCM with 16 octet ICV [RFC4106]",
 *   "0x<key and salt>","NULL",""
 *
 * protocol ("IPv4", "IPv6"), source and destination ("*" for any), SPI,
 * encryption algorithm, encryption key, authentication algorithm,
 * authentication key. The algorithms are the names of Wireshark 4.0's
 * packet-ipsec.c tables (esp_encryption_type_vals and
 * esp_authentication_type_vals), which is what the table file holds for
 * them; keys are 0xHEX. For AES-GCM and AES-CTR the key is the kernel's as
 * it is: the key with its 4-byte salt appended, as Wireshark takes it.
 * Wireshark 4.0's table has no sequence number, ESN or mode fields. */
#ifndef XFRMCTL_EXPORT_H
#define XFRMCTL_EXPORT_H

#include <stddef.h>

#include "nl.h"

struct xc_sa;

/* What Wireshark will not do for an exported SA. */
enum {
	/* authentication of a size Wireshark knows but an algorithm it does
	 * not ("ANY 96 bit authentication [no checking]"): it decrypts, and
	 * does not check the ICV */
	XC_EXPORT_ICV_UNCHECKED = 1 << 0,
	/* ESN: Wireshark 4.0 leaves the high sequence bits out of the ICV;
	 * it decrypts, and its ICV check (when asked for) fails */
	XC_EXPORT_ESN = 1 << 1,
};

/* sa (ESP) as one esp_sa line, newline included, into buf (NUL-terminated).
 * Returns its length; -EOPNOTSUPP when Wireshark 4.0 cannot decrypt the SA
 * (not ESP, an algorithm or key size it lacks: err says which), -ENOSPC
 * when len is too small (XC_EXPORT_LINE_MAX always does). *notes gets
 * XC_EXPORT_* flags. */
#define XC_EXPORT_LINE_MAX 2600
int xc_export_wireshark(const struct xc_sa *sa, char *buf, size_t len, unsigned int *notes,
			struct xc_err *err);

/* A file that holds keys, replaced whole: written to a new file beside
 * path (mode 0600, O_EXCL), then renamed over path at the commit, so that
 * path is never seen half-written and is 0600 whatever was there before
 * (a symbolic link at path is replaced, not followed). */
struct xc_secret_file;
int xc_secret_file_open(const char *path, struct xc_secret_file **out, struct xc_err *err);
int xc_secret_file_write(struct xc_secret_file *f, const char *buf, size_t len);
/* Flush, sync and rename; then f is gone. 0 or -errno (err says what). */
int xc_secret_file_commit(struct xc_secret_file *f, struct xc_err *err);
/* Remove the new file, keep path as it was. NULL is fine. */
void xc_secret_file_abort(struct xc_secret_file *f);

#endif
