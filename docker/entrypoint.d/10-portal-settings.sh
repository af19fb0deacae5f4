# Start-up hook (sourced, POSIX sh): the portal's CKAN options into the image's ckan.ini.
#
# First the options every deployment shares, from stack/portal-settings.ini (the Dockerfile
# copies it to /srv/app/jena/), exactly as the local stack merges them; then this deployment's
# secrets from the environment (docker/.env). The connections (database, Solr, Redis, site
# URL, storage) are not written here: CKAN reads them from CKAN_SQLALCHEMY_URL, CKAN_SOLR_URL,
# CKAN_REDIS_URL, CKAN_SITE_URL and CKAN_STORAGE_PATH itself.

ckan config-tool "$CKAN_INI" -f /srv/app/jena/portal-settings.ini

# ckan.ini of the base image holds secrets made when the image was built; every container of
# the deployment must sign sessions, forms and API tokens with the same keys instead, or
# replicas of the web service would reject each other's cookies and tokens.
jena_require_secret() {
    case "$2" in
        "" | change-me*)
            echo "entrypoint: $1 is unset or still a change-me placeholder: give it a long random" \
                 "value in docker/.env (see docker/.env.example)" >&2
            exit 1
            ;;
    esac
}
jena_require_secret JENA_SECRET_KEY "${JENA_SECRET_KEY:-}"
jena_require_secret JENA_API_TOKEN_SECRET "${JENA_API_TOKEN_SECRET:-}"

ckan config-tool "$CKAN_INI" \
    "SECRET_KEY=$JENA_SECRET_KEY" \
    "WTF_CSRF_SECRET_KEY=$JENA_SECRET_KEY" \
    "api_token.jwt.encode.secret=string:$JENA_API_TOKEN_SECRET" \
    "api_token.jwt.decode.secret=string:$JENA_API_TOKEN_SECRET"
