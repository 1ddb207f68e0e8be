#!/bin/bash
# The API integration suite on SQLite.
exec bash "$(dirname "$0")/run-api.sh" sqlite "$@"
