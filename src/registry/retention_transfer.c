/* Transfer packages of the retention schedule: records due for transfer written, with their
 * signed credentials, into a folder an archive can ingest, under a signed manifest of SHA-256
 * checksums (see retention.h). */
#include "registry/retention.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/format.h"
#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/foreign.h"

#define FILE_MAX ((size_t)1 << 20) /* a record or a credential: far less */

static int make_dir(const char *path, struct ok_error *err)
{
	struct stat sb;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return ok_fail(err, OK_EIO, "%s: cannot create the folder (%s)", path,
		               strerror(errno));
	/* One that was there already must be a folder, not a link to one. */
	if (lstat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ok_fail(err, OK_EIO, "%s: not a folder (a link or a file is refused)", path);
	return 0;
}

int retention_transfer_root(const char *dir, bool make, char *out, size_t cap, struct ok_error *err)
{
	char *real;
	int rc;

	if (make && (rc = make_dir(dir, err)))
		return rc;
	if (!(real = realpath(dir, NULL)))
		return ok_fail(err, errno == ENOENT ? OK_ENOTFOUND : OK_EIO,
		               "%s: cannot find the transfer folder (%s)", dir, strerror(errno));
	rc = strlen(real) >= cap || strlen(real) > RETENTION_ROOT_MAX
	             ? ok_fail(err, OK_ETOOBIG,
	                       "%s: the transfer folder's real path is too long (at most %d "
	                       "bytes)",
	                       dir, RETENTION_ROOT_MAX)
	             : ok_format(out, cap, "%s", real);
	free(real);
	return rc;
}

int retention_transfer_dir(const char *dir, const char *run_id, struct buf *out,
                           struct ok_error *err)
{
	struct buf sub;
	int rc;

	buf_init(&sub, OK_PATH_MAX);
	if ((rc = make_dir(dir, err)))
		goto out;
	if (ok_path_join(out, dir, run_id)) {
		rc = ok_fail(err, OK_ETOOBIG, "the transfer folder's path is too long");
		goto out;
	}
	if ((rc = make_dir(out->data, err)))
		goto out;
	if (ok_path_join(&sub, out->data, "records") || (rc = make_dir(sub.data, err)) ||
	    ok_path_join(&sub, out->data, "credentials") || (rc = make_dir(sub.data, err)))
		rc = rc ? rc : ok_fail(err, OK_ETOOBIG, "the transfer folder's path is too long");
out:
	buf_release(&sub);
	return rc;
}

/* Writes data whole to pkg/sub/name: a new file, fsync'd, renamed into place. */
static int write_whole(const char *pkg, const char *sub, const char *name, const char *data,
                       size_t len, struct ok_error *err)
{
	char rel[128];
	struct buf path, tmp;
	ssize_t w;
	size_t done = 0;
	int fd = -1, rc = 0;

	buf_init(&path, OK_PATH_MAX);
	buf_init(&tmp, OK_PATH_MAX + 8);
	if (ok_format(rel, sizeof(rel), "%s%s%s", sub ? sub : "", sub ? "/" : "", name) ||
	    ok_path_join(&path, pkg, rel) || buf_addstr(&tmp, path.data) ||
	    buf_addstr(&tmp, ".tmp")) {
		rc = ok_fail(err, OK_ETOOBIG, "the transfer folder's path is too long");
		goto out;
	}
	/* What a killed run left (or anyone put there) goes; the file is then made anew. */
	if (unlink(tmp.data) != 0 && errno != ENOENT) {
		rc = ok_fail(err, OK_EIO, "%s: cannot remove (%s)", tmp.data, strerror(errno));
		goto out;
	}
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		rc = ok_fail(err, OK_EIO, "%s: cannot write (%s)", tmp.data, strerror(errno));
		goto out;
	}
	while (done < len) {
		if ((w = write(fd, data + done, len - done)) < 0) {
			if (errno == EINTR)
				continue;
			rc = ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO,
			             "%s: cannot write (%s)", tmp.data, strerror(errno));
			goto out;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		rc = ok_fail(err, OK_EIO, "%s: cannot write (%s)", tmp.data, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path.data) != 0)
		rc = ok_fail(err, OK_EIO, "%s: cannot rename into place (%s)", path.data,
		             strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc && tmp.len)
		unlink(tmp.data);
	buf_release(&tmp);
	buf_release(&path);
	return rc;
}

int retention_transfer_record(struct depository *d, const char *pkg,
                              const struct store_achievement *a, struct ok_error *err)
{
	json_t *record = registry_achievement_json(a);
	char name[STORE_ID_MAX + 8], *text = NULL;
	struct buf cred;
	int rc;

	buf_init(&cred, FILE_MAX);
	snprintf(name, sizeof(name), "%s.json", a->id);
	text = record ? json_dumps(record, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!text) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_whole(pkg, "records", name, text, strlen(text), err)))
		goto out;
	/* Unaudited here: the run records the transfer, batch by batch, in its own events. */
	if ((rc = registry_credential_issue_unaudited(d, a->id, CREDENTIAL_DI, &cred, err)))
		goto out;
	rc = write_whole(pkg, "credentials", name, cred.data, cred.len, err);
out:
	free(text);
	json_decref(record);
	buf_release(&cred);
	return rc;
}

/* A share's record: what it lets its recipient open, and when; its token is not kept (only its
 * hash is, which opens nothing) and so not written. */
int retention_transfer_share(const char *pkg, const struct store_share *sh, struct ok_error *err)
{
	json_t *ids = json_array(), *record = NULL;
	char name[STORE_ID_MAX + 8], list[STORE_SHARE_IDS_MAX], *save = NULL, *id, *text = NULL;
	int rc = 0;

	snprintf(name, sizeof(name), "%s.json", sh->id);
	snprintf(list, sizeof(list), "%s", sh->achievements);
	for (id = strtok_r(list, ",", &save); ids && id; id = strtok_r(NULL, ",", &save))
		if (json_array_append_new(ids, json_string(id)))
			rc = OK_ENOMEM;
	if (ids && !rc)
		record = json_pack(
		        "{s:s, s:s, s:s, s:s, s:O, s:I, s:I, s:I, s:I, s:I}", "type", "share", "id",
		        sh->id, "learnerId", sh->learner_id, "recipient", sh->recipient,
		        "achievements", ids, "createdMs", (json_int_t)sh->created_ms, "expiresMs",
		        (json_int_t)sh->expires_ms, "revokedMs", (json_int_t)sh->revoked_ms, "uses",
		        (json_int_t)sh->uses, "lastUsedMs", (json_int_t)sh->last_used_ms);
	text = record ? json_dumps(record, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	else
		rc = write_whole(pkg, "records", name, text, strlen(text), err);
	free(text);
	json_decref(record);
	json_decref(ids);
	return rc;
}

/* The file name of a foreign credential as it came: JSON (a Data Integrity credential), a
 * compact JWS, or a signed ELMO document. */
static const char *foreign_ext(const char *format)
{
	if (!strcmp(format, "jwt"))
		return ".jwt";
	if (!strncmp(format, "elmo", 4))
		return ".xml";
	return ".json";
}

int retention_transfer_foreign(struct depository *d, const char *pkg, const char *id,
                               const char *actor, struct ok_error *err)
{
	struct store_foreign f;
	json_t *record = NULL;
	char name[STORE_ID_MAX + 8], *text = NULL;
	struct buf cred;
	int rc;

	store_foreign_init(&f);
	buf_init(&cred, FILE_MAX);
	if ((rc = store_foreign_get(d->store, id, &f, err)))
		goto out;
	snprintf(name, sizeof(name), "%s.json", f.id);
	record = foreign_record_json(&f);
	if (record && json_object_set_new(record, "learnerId", json_string(f.learner_id)))
		json_decref(record), record = NULL;
	text = record ? json_dumps(record, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (!text) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_whole(pkg, "records", name, text, strlen(text), err)))
		goto out;
	/* The credential as the other depository signed it, opened from its seal: an audited
	 * read (purpose "retention"), in the batch's transaction. */
	if ((rc = registry_foreign_credential(d, f.learner_id, f.id, actor, "retention", &cred,
	                                      err)))
		goto out;
	snprintf(name, sizeof(name), "%s%s", f.id, foreign_ext(f.format));
	rc = write_whole(pkg, "credentials", name, cred.data, cred.len, err);
out:
	free(text);
	json_decref(record);
	if (cred.data)
		sodium_memzero(cred.data, cred.len);
	buf_release(&cred);
	store_foreign_release(&f);
	return rc;
}

static int not_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* Whether name is one a run writes: ID.json, or in credentials/ also ID.jwt or ID.xml. */
static bool run_wrote(const char *sub, const char *name)
{
	char id[STORE_ID_MAX + 1];
	const char *dot = strrchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : 0;

	if (!dot || n == 0 || n > STORE_ID_MAX)
		return false;
	memcpy(id, name, n);
	id[n] = '\0';
	if (!depository_id_valid(id))
		return false;
	if (!strcmp(dot, ".json"))
		return true;
	return !strcmp(sub, "credentials") && (!strcmp(dot, ".jwt") || !strcmp(dot, ".xml"));
}

/* Reads the regular file path whole into data: a link, a folder or anything else is refused. */
static int read_regular(const char *path, struct buf *data, struct ok_error *err)
{
	char chunk[8192];
	struct stat sb;
	ssize_t got;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return ok_fail(err, OK_EIO, "%s: cannot read (%s; a link is refused)", path,
		               strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		rc = ok_fail(err, OK_EIO,
		             "%s: not a regular file: move it out of the package "
		             "and run again",
		             path);
	buf_reset(data);
	while (!rc && (got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rc = ok_fail(err, OK_EIO, "%s: cannot read (%s)", path, strerror(errno));
		else if (buf_add(data, chunk, (size_t)got))
			rc = ok_fail(err, OK_ETOOBIG, "%s: larger than 1 MiB", path);
	}
	close(fd);
	return rc;
}

/* Appends {path, bytes, sha256} of every file of pkg/sub to files, by name, and counts them in
 * *n; anything the run cannot have written is refused. */
static int list_files(const char *pkg, const char *sub, json_t *files, int64_t *count,
                      struct ok_error *err)
{
	struct dirent **names = NULL;
	unsigned char sha[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], rel[300];
	struct buf path, data;
	int n, i, rc = 0;

	*count = 0;
	buf_init(&path, OK_PATH_MAX);
	buf_init(&data, FILE_MAX);
	if (ok_path_join(&path, pkg, sub)) {
		rc = ok_fail(err, OK_ETOOBIG, "the transfer folder's path is too long");
		goto out;
	}
	if ((n = scandir(path.data, &names, not_dots, alphasort)) < 0) {
		rc = ok_fail(err, OK_EIO, "%s: cannot list (%s)", path.data, strerror(errno));
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!rc && (ok_format(rel, sizeof(rel), "%s/%s", sub, names[i]->d_name) ||
		            ok_path_join(&path, pkg, rel)))
			rc = ok_fail(err, OK_ETOOBIG, "the transfer folder's path is too long");
		if (!rc && !run_wrote(sub, names[i]->d_name))
			rc = ok_fail(err, OK_ECONFLICT,
			             "%s: not a file this run wrote: move it out of the package "
			             "and run again (nothing was signed)",
			             path.data);
		if (!rc)
			rc = read_regular(path.data, &data, err);
		if (!rc) {
			(*count)++;
			crypto_hash_sha256(sha, (const unsigned char *)data.data, data.len);
			sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
			if (json_array_append_new(files,
			                          json_pack("{s:s, s:I, s:s}", "path", rel, "bytes",
			                                    (json_int_t)data.len, "sha256", hex)))
				rc = ok_fail(err, OK_ENOMEM, "out of memory");
		}
		free(names[i]);
	}
	free(names);
out:
	buf_release(&data);
	buf_release(&path);
	return rc;
}

int retention_transfer_manifest(struct depository *d, const char *pkg, const char *run_id,
                                int64_t records, int64_t credentials, const char *actor,
                                int64_t *files, struct ok_error *err)
{
	int64_t in_records = 0, in_credentials = 0;
	struct depository_identity id;
	json_t *list = json_array(), *manifest = NULL, *signed_manifest = NULL;
	char urn[64], *text = NULL;
	int rc;

	*files = 0;
	if (!list)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = list_files(pkg, "records", list, &in_records, err)) ||
	    (rc = list_files(pkg, "credentials", list, &in_credentials, err)))
		goto out;
	/* As many as the run wrote: a file put there by anyone else is not signed. */
	if (in_records != records || in_credentials != credentials) {
		rc = ok_fail(err, OK_ECONFLICT,
		             "%s holds %lld records and %lld credentials, and the run transferred "
		             "%lld and %lld: move out what it did not write and run again (nothing "
		             "was signed)",
		             pkg, (long long)in_records, (long long)in_credentials,
		             (long long)records, (long long)credentials);
		goto out;
	}
	*files = (int64_t)json_array_size(list);
	if ((rc = registry_identity(d, &id, err)))
		goto out;
	snprintf(urn, sizeof(urn), "urn:oorkonde:transfer:%s", run_id);
	manifest =
	        json_pack("{s:[s], s:s, s:[s, s], s:s, s:s, s:{s:s, s:I, s:O}}", "@context",
	                  CREDENTIAL_CONTEXT_V2, "id", urn, "type", "VerifiableCredential",
	                  "TransferManifest", "issuer", id.did, "name",
	                  "Transfer to an archive: manifest", "credentialSubject", "retentionRun",
	                  run_id, "fileCount", (json_int_t)*files, "files", list);
	registry_identity_release(&id);
	if (!manifest) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = registry_credential_sign_own(d, manifest, actor, &signed_manifest, err)))
		goto out;
	if (!(text = json_dumps(signed_manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	rc = write_whole(pkg, NULL, "manifest.json", text, strlen(text), err);
out:
	free(text);
	json_decref(signed_manifest);
	json_decref(manifest);
	json_decref(list);
	return rc;
}
