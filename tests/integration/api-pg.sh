#!/bin/bash
# The API integration suite on a private PostgreSQL server.
exec bash "$(dirname "$0")/run-api.sh" pg "$@"
