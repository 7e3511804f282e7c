/*
 * sshkey.c - public key parsing and fingerprints, host key generation.
 * See sshkey.h.
 */
#include "core/sshkey.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
sshkey_fingerprint(const ssh_key key, char *out, size_t len, char *err,
    size_t errlen)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp;
	int rc = -1;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0) {
		snprintf(err, errlen, "cannot hash key");
		return -1;
	}
	fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	if (fp != NULL && strlen(fp) < len) {
		snprintf(out, len, "%s", fp);
		rc = 0;
	} else {
		snprintf(err, errlen, "cannot format fingerprint");
	}
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	return rc;
}

int
sshkey_matches(const ssh_key key, const struct key_rec *k)
{
	ssh_key stored = NULL;
	int same;

	if (ssh_pki_import_pubkey_base64(k->blob, ssh_key_type_from_name(k->type),
	    &stored) != SSH_OK)
		return 0;
	same = ssh_key_cmp(key, stored, SSH_KEY_CMP_PUBLIC) == 0;
	ssh_key_free(stored);
	return same;
}

int
sshkey_parse_line(const char *line, struct key_rec *k, char *err,
    size_t errlen)
{
	char type[STORE_KEYTYPE_MAX], blob[STORE_KEYBLOB_MAX];
	const char *p = line, *start;
	ssh_key key = NULL;
	size_t n;
	int rc;

	while (*p == ' ' || *p == '\t')
		p++;
	start = p;
	n = strcspn(p, " \t\r\n");
	if (n == 0 || n >= sizeof(type)) {
		snprintf(err, errlen, "not a public key: expected 'TYPE BASE64"
		    " [COMMENT]'");
		return -1;
	}
	memcpy(type, start, n);
	type[n] = '\0';
	p += n;
	while (*p == ' ' || *p == '\t')
		p++;
	n = strcspn(p, " \t\r\n");
	if (n == 0 || n >= sizeof(blob)) {
		snprintf(err, errlen, "not a public key: missing or over-long"
		    " base64 part");
		return -1;
	}
	memcpy(blob, p, n);
	blob[n] = '\0';
	if (ssh_key_type_from_name(type) == SSH_KEYTYPE_UNKNOWN) {
		snprintf(err, errlen, "unknown key type '%.40s'", type);
		return -1;
	}
	if (ssh_pki_import_pubkey_base64(blob, ssh_key_type_from_name(type),
	    &key) != SSH_OK) {
		snprintf(err, errlen, "cannot read the %s key", type);
		return -1;
	}
	rc = sshkey_fingerprint(key, k->fingerprint, sizeof(k->fingerprint),
	    err, errlen);
	ssh_key_free(key);
	if (rc == 0) {
		snprintf(k->type, sizeof(k->type), "%s", type);
		snprintf(k->blob, sizeof(k->blob), "%s", blob);
	}
	return rc;
}

int
sshkey_host_ensure(const char *path, int *created, char *err, size_t errlen)
{
	ssh_key key = NULL;
	mode_t old;
	int rc;

	*created = 0;
	if (access(path, R_OK) == 0)
		return 0;
	if (errno != ENOENT) {
		snprintf(err, errlen, "cannot read host key '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		snprintf(err, errlen, "cannot generate host key");
		return -1;
	}
	old = umask(077); /* libssh creates the file with fopen */
	rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path);
	umask(old);
	ssh_key_free(key);
	if (rc != SSH_OK) {
		snprintf(err, errlen, "cannot write host key '%s'", path);
		return -1;
	}
	*created = 1;
	return 0;
}
