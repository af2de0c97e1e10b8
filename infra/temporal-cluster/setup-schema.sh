#!/bin/sh
# Creates, or upgrades to this release, the Temporal cluster's two databases (temporal, temporal_visibility)
# on PostgreSQL with the server's own schema tool, temporal-sql-tool. Every step is idempotent: an
# existing database is kept, a schema already at or past a step skips it. So the same command sets up a
# new cluster and upgrades one after a new server release (stop the server first).
#   TEMPORAL_SQL_TOOL, TEMPORAL_SCHEMA_DIR   from `node infra/toolchain/temporal-server.ts`
#   TEMPORAL_DB_HOST (127.0.0.1), TEMPORAL_DB_PORT (5432), TEMPORAL_DB_USER (temporal), TEMPORAL_DB_PASSWORD
# The role needs CREATEDB the first time (or create both databases, owned by it, beforehand).
# docs/runbook.md shows it; tests/integration/production-shape.test.ts runs it.
set -eu
: "${TEMPORAL_SQL_TOOL:?set TEMPORAL_SQL_TOOL (node infra/toolchain/temporal-server.ts prints it)}"
: "${TEMPORAL_SCHEMA_DIR:?set TEMPORAL_SCHEMA_DIR (node infra/toolchain/temporal-server.ts prints it)}"
: "${TEMPORAL_DB_PASSWORD:?set TEMPORAL_DB_PASSWORD (the password of the role TEMPORAL_DB_USER)}"
# The tool reads the password from SQL_PASSWORD, so it is not on a command line (ps would show it).
export SQL_PASSWORD="$TEMPORAL_DB_PASSWORD"

for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  steps="$TEMPORAL_SCHEMA_DIR/${pair#*:}/versioned"
  for task in create-database "setup-schema -v 0.0" "update-schema -d $steps"; do
    echo "==> $db: $task"
    # $task splits into the subcommand and its flags on purpose.
    # shellcheck disable=SC2086
    "$TEMPORAL_SQL_TOOL" --plugin postgres12 --ep "${TEMPORAL_DB_HOST:-127.0.0.1}" -p "${TEMPORAL_DB_PORT:-5432}" \
      -u "${TEMPORAL_DB_USER:-temporal}" --db "$db" $task
  done
done
echo "Temporal's databases are at this release's schema."
