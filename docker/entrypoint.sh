#!/bin/sh
# Entry point of the portal's CKAN image, for every CKAN service of docker-compose.yml.
#
# Runs the start-up hooks of /docker-entrypoint.d (the folder CKAN's base image reserves for
# them; docker/entrypoint.d/ of this repository) in name order, then replaces itself with the
# service's command, so that command receives the container's signals.
set -eu

for hook in /docker-entrypoint.d/*.sh; do
    [ -e "$hook" ] || continue
    echo "entrypoint: $hook"
    # shellcheck disable=SC1090
    . "$hook"
done

exec "$@"
