# Start-up hook (sourced, POSIX sh): migrate the database before the web server starts.
#
# `ckan db upgrade` applies CKAN's migrations and those of every enabled plugin (ckanext-harvest
# has its own), and creates the tables on an empty database. Only the web service sets
# JENA_DB_UPGRADE=true; the other services wait for web to be healthy. Replicas of web take
# turns through a lock file on the storage volume they share, so the first one migrates and the
# others find nothing left to do.

if [ "${JENA_DB_UPGRADE:-false}" = "true" ]; then
    echo "entrypoint: migrating the database (CKAN and plugins)"
    flock "$CKAN_STORAGE_PATH/.db-upgrade.lock" ckan -c "$CKAN_INI" db upgrade
fi
