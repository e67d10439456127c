#!/usr/bin/env bash
# Generate an Alembic revision from the models: scripts/new_migration.sh "what changed"
set -euo pipefail
cd "$(dirname "$0")/.."
db=$(mktemp -d)/schema.db
.venv/bin/python - "$db" <<'PY'
import sys
from vodguard.store.db import migrate
migrate(f"sqlite:///{sys.argv[1]}")
PY

.venv/bin/python - "$db" "$1" <<'PY'
import sys
from alembic import command
from alembic.config import Config
from vodguard.store.db import MIGRATIONS
cfg = Config()
cfg.set_main_option("script_location", str(MIGRATIONS))
cfg.set_main_option("sqlalchemy.url", f"sqlite:///{sys.argv[1]}")
command.revision(cfg, message=sys.argv[2], autogenerate=True)
PY
.venv/bin/ruff format vodguard/store/migrations >/dev/null
