/*
 * schema.c: the SQLite metadata schema as an ordered list of migrations.
 *
 * PRAGMA user_version holds the number of migrations applied. At open, the
 * shared SQLite layer (dd_sqldb_migrate) runs every migration above it, each in the same transaction as the
 * user_version bump, so a crash never leaves half a migration.
 *
 * To add a migration (scan jobs, findings, users, tokens ...): APPEND an
 * entry with the next version number. Never edit or reorder an entry that
 * has shipped: databases in the field have already run it.
 */
#include "meta/meta_int.h"

const dd_sql_migration_t dd_meta_sqlite_migrations[] = {
    {1, "registry core: repositories, blob links, manifests, references, tags, uploads",
     /* a repository exists once a blob is linked or a manifest is pushed */
     "CREATE TABLE repos ("
     "  id INTEGER PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  created_ms INTEGER NOT NULL);"
     /* which repository may read which blob */
     "CREATE TABLE blob_links ("
     "  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,"
     "  digest TEXT NOT NULL,"
     "  size INTEGER NOT NULL,"
     "  linked_ms INTEGER NOT NULL,"
     "  PRIMARY KEY (repo_id, digest)) WITHOUT ROWID;"
     "CREATE INDEX blob_links_digest ON blob_links(digest);"
     "CREATE TABLE manifests ("
     "  id INTEGER PRIMARY KEY,"
     "  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,"
     "  digest TEXT NOT NULL,"
     "  media_type TEXT NOT NULL,"
     "  artifact_type TEXT NOT NULL DEFAULT '',"
     "  size INTEGER NOT NULL,"
     "  subject TEXT NOT NULL DEFAULT '',"
     "  annotations_json TEXT,"
     "  pushed_ms INTEGER NOT NULL,"
     "  UNIQUE (repo_id, digest));"
     "CREATE INDEX manifests_digest ON manifests(digest);"
     "CREATE INDEX manifests_subject ON manifests(repo_id, subject, artifact_type) WHERE subject <> '';"
     /* kind 0 = blob (config, layer), 1 = child manifest (index entry) */
     "CREATE TABLE manifest_refs ("
     "  manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,"
     "  kind INTEGER NOT NULL,"
     "  digest TEXT NOT NULL,"
     "  PRIMARY KEY (manifest_id, kind, digest)) WITHOUT ROWID;"
     "CREATE INDEX manifest_refs_digest ON manifest_refs(digest);"
     "CREATE TABLE tags ("
     "  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,"
     "  name TEXT NOT NULL,"
     "  manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,"
     "  updated_ms INTEGER NOT NULL,"
     "  PRIMARY KEY (repo_id, name)) WITHOUT ROWID;"
     "CREATE INDEX tags_manifest ON tags(manifest_id);"
     "CREATE TABLE uploads ("
     "  uuid TEXT PRIMARY KEY,"
     "  repo TEXT NOT NULL,"
     "  offset INTEGER NOT NULL,"
     "  created_ms INTEGER NOT NULL,"
     "  updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
     "CREATE INDEX uploads_updated ON uploads(updated_ms);"},
    {2, "auth: users, robot tokens and the auth generation counter (issue 6)",
     "CREATE TABLE users ("
     "  name TEXT PRIMARY KEY,"
     "  role TEXT NOT NULL,"
     "  repos TEXT NOT NULL DEFAULT '',"
     "  pwhash TEXT NOT NULL,"
     "  created_ms INTEGER NOT NULL,"
     "  updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
     /* only the SHA-256 of a token's secret is stored */
     "CREATE TABLE tokens ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL DEFAULT '',"
     "  role TEXT NOT NULL,"
     "  repos TEXT NOT NULL DEFAULT '',"
     "  hash TEXT NOT NULL UNIQUE,"
     "  created_ms INTEGER NOT NULL,"
     "  expires_ms INTEGER NOT NULL,"
     "  revoked_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
     /* one row: bumped by every user or token change */
     "CREATE TABLE auth_gen (id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL);"
     "INSERT INTO auth_gen(id, gen) VALUES (1, 1);"},
};

const size_t dd_meta_sqlite_n_migrations = sizeof dd_meta_sqlite_migrations / sizeof dd_meta_sqlite_migrations[0];
