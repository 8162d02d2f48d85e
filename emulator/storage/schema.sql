-- Metadata only; bytes are blobs on disk. Times are integer microseconds since the epoch.
CREATE TABLE IF NOT EXISTS counters (
    kind  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS files (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    display_name TEXT,
    mime_type    TEXT NOT NULL,
    size_bytes   INTEGER NOT NULL,
    sha256_hex   TEXT NOT NULL,
    state        TEXT NOT NULL,
    source       TEXT NOT NULL,
    create_us    INTEGER NOT NULL,
    update_us    INTEGER NOT NULL,
    expire_us    INTEGER NOT NULL,
    blob         TEXT NOT NULL,
    UNIQUE (tenant, id)
);
CREATE INDEX IF NOT EXISTS files_by_tenant ON files (tenant, seq);
CREATE INDEX IF NOT EXISTS files_by_expiry ON files (expire_us);

CREATE TABLE IF NOT EXISTS uploads (
    id             TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    file_id        TEXT NOT NULL,
    display_name   TEXT,
    mime_type      TEXT NOT NULL,
    total_bytes    INTEGER,
    received_bytes INTEGER NOT NULL,
    blob           TEXT NOT NULL,
    create_us      INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS batches (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    tenant        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    model         TEXT NOT NULL,
    display_name  TEXT,
    state         TEXT NOT NULL,
    input_file    TEXT,
    input_blob    TEXT NOT NULL,
    output_blob   TEXT NOT NULL,
    request_count INTEGER NOT NULL,
    success_count INTEGER NOT NULL DEFAULT 0,
    failure_count INTEGER NOT NULL DEFAULT 0,
    lines_done    INTEGER NOT NULL DEFAULT 0,
    input_offset  INTEGER NOT NULL DEFAULT 0,
    output_offset INTEGER NOT NULL DEFAULT 0,
    create_us     INTEGER NOT NULL,
    update_us     INTEGER NOT NULL,
    start_us      INTEGER,
    end_us        INTEGER,
    output_file   TEXT,
    finalized     INTEGER NOT NULL DEFAULT 0,
    priority      INTEGER,
    webhook       TEXT,
    error         TEXT,
    queue_us      INTEGER NOT NULL DEFAULT 0,
    latency_us    INTEGER NOT NULL DEFAULT 0,
    overhead_us   INTEGER NOT NULL DEFAULT 0,
    fate          TEXT,
    quirks        TEXT,
    extra         TEXT
);
CREATE INDEX IF NOT EXISTS batches_by_tenant ON batches (tenant, seq);
CREATE INDEX IF NOT EXISTS batches_unfinished ON batches (finalized) WHERE finalized = 0;

-- Emulator-wide values that must survive a restart (the clock's position, ...), as JSON.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
