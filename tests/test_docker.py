"""The Docker deployment (``docker/``) stays in step with the local stack.

Docker need not run where the suite runs, so these tests read the files: the images' base tags,
what the CKAN image installs and merges into ``ckan.ini``, what the Solr image does to CKAN's
schema, the compose services and their commands, scale-out, build contexts and secrets.
"""
from __future__ import annotations

import configparser
import fnmatch
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

from stack import services
from stack.ckan_site import PORTAL_SETTINGS, connection_options
from stack.layout import DEFAULT_CKAN_SERIES, SUPPORTED_CKAN, Layout

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCKER = REPO_ROOT / "docker"
CKAN_DOCKERFILE = DOCKER / "Dockerfile"
SOLR_DOCKERFILE = DOCKER / "solr" / "Dockerfile"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
ENV_EXAMPLE = DOCKER / ".env.example"
HOOKS = sorted((DOCKER / "entrypoint.d").glob("*.sh"))
SCHEMA_SCRIPT = REPO_ROOT / "stack" / "solr" / "schema_additions.py"
PINNED_REQUIREMENTS = REPO_ROOT / "requirements" / f"ckan-{DEFAULT_CKAN_SERIES}.txt"
EXTENSIONS = ("ckanext-harvest", "ckanext-dcat", "ckanext-scheming", "ckanext-spatial")
# the scale-out docker/README.md shows: `docker compose up --scale web=3 --scale harvest-fetch=4`
SCALED = {"web": 3, "harvest-fetch": 4}
# the local stack's infrastructure services and their compose names
INFRASTRUCTURE = {"postgres": "db", "redis": "redis", "solr": "solr"}
PLACEHOLDER = "change-me"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY$", re.IGNORECASE)


# --- reading the files ----------------------------------------------------------------------

@dataclass
class Copy:
    stage: str | None  # --from
    sources: list[str]
    destination: str

    def target_of(self, source: str) -> str:
        if self.destination.endswith("/"):
            return self.destination + PurePosixPath(source.rstrip("/")).name
        return self.destination


@dataclass
class Stage:
    image: str
    alias: str | None
    args: dict[str, str] = field(default_factory=dict)
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def expand(self, text: str) -> str:
        return expand(text, self.args)

    def arguments(self, keyword: str) -> list[str]:
        return [self.expand(arguments) for name, arguments in self.instructions if name == keyword]

    def copies(self) -> list[Copy]:
        result = []
        for arguments in self.arguments("COPY") + self.arguments("ADD"):
            words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
            options = dict(word[2:].partition("=")[::2] for word in words if word.startswith("--"))
            paths = [word for word in words if not word.startswith("--")]
            result.append(Copy(options.get("from"), paths[:-1], paths[-1]))
        return result


def expand(text: str, args: dict[str, str]) -> str:
    """Substitute the build arguments known in ``args`` (``$NAME`` or ``${NAME}``)."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), m.group(0)), text)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: continuation lines joined, comment lines dropped."""
    result, pending = [], ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def stages(dockerfile: Path) -> list[Stage]:
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            words = arguments.split()
            alias = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            result.append(Stage(expand(words[0], global_args), alias))
        elif keyword == "ARG":
            name, has_default, default = arguments.partition("=")
            if not result:
                global_args[name] = default.strip('"')
            else:
                result[-1].args[name] = default.strip('"') if has_default else global_args.get(name, "")
                result[-1].instructions.append((keyword, arguments))
        else:
            result[-1].instructions.append((keyword, arguments))
    return result


def base_images(dockerfile: Path) -> list[str]:
    """The images the stages start from, leaving out the file's own earlier stages."""
    found = stages(dockerfile)
    aliases = {stage.alias for stage in found if stage.alias}
    return [stage.image for stage in found if stage.image not in aliases]


def image_tag(image: str) -> tuple[str, str]:
    """(name, tag) of an image reference; the tag is empty when there is none."""
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:  # no tag, or the colon was a registry's port
        return image, ""
    return name, tag


def compose_services() -> dict[str, dict]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def env_files_of(service: dict) -> list[str]:
    files = service.get("env_file") or []
    files = [files] if isinstance(files, (str, dict)) else files
    return [entry["path"] if isinstance(entry, dict) else entry for entry in files]


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip('"').strip("'")
    return values


def command_of(service: dict) -> list[str]:
    command = service.get("command") or []
    words = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    return [word.replace("$$", "$") for word in words]  # compose's escape for a literal $


def option_value(words: list[str], option: str) -> str | None:
    for index, word in enumerate(words):
        if word == option and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


def without_ckan_config(words: list[str]) -> list[str]:
    """A ckan command's arguments after ``ckan`` and an optional ``-c <ini>``."""
    assert words and PurePosixPath(words[0]).name == "ckan", f"not a ckan command: {words}"
    rest = words[1:]
    return rest[2:] if rest[:1] in (["-c"], ["--config"]) else rest


def portal_settings() -> dict[str, str]:
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    parser.read(PORTAL_SETTINGS, encoding="utf-8")
    return dict(parser["app:main"])


def schema_additions_module():
    spec = importlib.util.spec_from_file_location("docker_test_schema_additions", SCHEMA_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def final_stage(dockerfile: Path) -> Stage:
    return stages(dockerfile)[-1]


def copied_to(stage: Stage, source: str) -> list[str]:
    return [copy.target_of(source) for copy in stage.copies() if copy.stage is None and source in copy.sources]


def ckan_services() -> dict[str, dict]:
    """The compose services that run the CKAN image."""
    return {name: service for name, service in compose_services().items()
            if (service.get("build") or {}).get("dockerfile") == "docker/Dockerfile"}


# --- base images ----------------------------------------------------------------------------

def test_the_ckan_image_starts_from_ckans_base_image_of_the_default_series():
    release = SUPPORTED_CKAN[DEFAULT_CKAN_SERIES]
    images = base_images(CKAN_DOCKERFILE)
    assert images, "docker/Dockerfile has no FROM"
    for image in images:
        name, tag = image_tag(image)
        assert name == "ckan/ckan-base", f"docker/Dockerfile starts from {image}, not CKAN's base image"
        assert tag == release or tag.startswith(f"{release}-py"), (
            f"docker/Dockerfile uses {image}, the local stack runs CKAN {release} "
            f"(stack/layout.py, DEFAULT_CKAN_SERIES {DEFAULT_CKAN_SERIES})")


def test_the_solr_image_starts_from_ckans_solr_9_image_of_the_default_series():
    images = base_images(SOLR_DOCKERFILE)
    solr_images = [image for image in images if image_tag(image)[0] == "ckan/ckan-solr"]
    assert image_tag(images[-1])[0] == "ckan/ckan-solr", "the Solr image must end on CKAN's Solr image"
    for image in solr_images:
        assert image_tag(image)[1] == f"{DEFAULT_CKAN_SERIES}-solr9", (
            f"docker/solr/Dockerfile uses {image}; CKAN {DEFAULT_CKAN_SERIES} with Solr 9 is "
            f"ckan/ckan-solr:{DEFAULT_CKAN_SERIES}-solr9")


def test_every_image_has_an_exact_tag():
    images = base_images(CKAN_DOCKERFILE) + base_images(SOLR_DOCKERFILE)
    images += [service["image"] for service in compose_services().values() if "build" not in service]
    for image in images:
        tag = image_tag(image)[1]
        assert tag and tag != "latest", f"{image}: pin an exact tag"


# --- the CKAN image: settings, plugins, versions ----------------------------------------------

def test_the_image_merges_exactly_the_portal_settings_at_start():
    image = final_stage(CKAN_DOCKERFILE)
    settings_in_image = copied_to(image, "stack/portal-settings.ini")
    assert len(settings_in_image) == 1, "docker/Dockerfile must copy stack/portal-settings.ini once"
    other_ini = [source for copy in image.copies() for source in copy.sources
                 if source.endswith(".ini") and source != "stack/portal-settings.ini"]
    assert not other_ini, f"the image copies other CKAN settings: {other_ini}"

    # the hooks run at start: copied into the hook folder, run by the entry point
    assert any(copy.sources == ["docker/entrypoint.d/"] and copy.destination.rstrip("/") == "/docker-entrypoint.d"
               for copy in image.copies()), "docker/entrypoint.d/ must be copied to /docker-entrypoint.d/"
    entrypoint = copied_to(image, "docker/entrypoint.sh")
    assert entrypoint and any(entrypoint[0] in arguments for arguments in image.arguments("ENTRYPOINT"))
    assert "/docker-entrypoint.d/" in (DOCKER / "entrypoint.sh").read_text(encoding="utf-8")

    hooks = "\n".join(hook.read_text(encoding="utf-8") for hook in HOOKS)
    merged = re.findall(r"ckan\s+config-tool\s+\S+\s+-f\s+(\S+)", hooks)
    assert merged == settings_in_image, (
        f"the hooks merge {merged}; they must merge the copied stack/portal-settings.ini "
        f"({settings_in_image[0]}) with `ckan config-tool <ini> -f`, and nothing else")
    assert "ckan.plugins" not in hooks, "a hook sets ckan.plugins besides stack/portal-settings.ini"


def ckan_option_of(variable: str) -> str | None:
    """The ckan.ini option an environment variable sets: CKAN's own variables, or
    ckanext-envvars' naming (CKAN__A__B is ckan.a.b, CKAN___A__B is a.b)."""
    from ckan.config.environment import CONFIG_FROM_ENV_VARS

    by_variable = {name: option for option, name in CONFIG_FROM_ENV_VARS.items()}
    if variable in by_variable:
        return by_variable[variable]
    if variable.startswith("CKAN___"):
        return variable[len("CKAN___"):].lower().replace("__", ".")
    if variable.startswith("CKAN__"):
        return "ckan." + variable[len("CKAN__"):].lower().replace("__", ".")
    return None


def test_no_environment_variable_changes_an_option_of_the_portal_settings():
    settings = portal_settings()
    connections = {option.partition("=")[0] for option in connection_options(Layout.from_environment())}
    from_env_file = env_example()

    def check(where, variables):
        for variable, value in variables.items():
            option = ckan_option_of(variable)
            if option is None or value == "":  # CKAN ignores an empty variable
                continue
            if option in connections:
                continue
            assert option in settings, (
                f"{where}: {variable} sets {option}, which is neither a connection of the local stack "
                f"({sorted(connections)}) nor in stack/portal-settings.ini")
            assert value.split() == settings[option].split(), (
                f"{where}: {variable}={value!r} differs from stack/portal-settings.ini "
                f"({option} = {settings[option]})")

    for name, service in compose_services().items():
        check(f"service {name}", environment_of(service))
        if env_files_of(service):
            check(f"service {name} (docker/.env.example)", from_env_file)
    for variable_assignments in final_stage(CKAN_DOCKERFILE).arguments("ENV"):
        for word in shlex.split(variable_assignments):
            name, _, value = word.partition("=")
            check("docker/Dockerfile", {name: value})


def test_the_image_installs_the_extension_versions_pinned_for_the_local_stack():
    pins = {}
    for line in PINNED_REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        name, operator, version = re.match(r"^\s*([A-Za-z0-9_.-]*)\s*(==)?\s*(\S*)", line).groups()
        pins[name.lower().replace("_", "-")] = (operator, version)
    for extension in EXTENSIONS:
        assert pins.get(extension, (None,))[0] == "==", f"{extension} is not pinned in {PINNED_REQUIREMENTS.name}"

    # the package brings the extensions along: they are its install_requires
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    distribution = setup["metadata"]["name"]
    required = {re.split(r"[\s<>=!~;\[]", line.strip(), maxsplit=1)[0].lower()
                for line in setup["options"]["install_requires"].splitlines() if line.strip()}
    assert set(EXTENSIONS) <= required

    dockerfile_text = CKAN_DOCKERFILE.read_text(encoding="utf-8")
    for extension in EXTENSIONS:
        pattern = rf"{extension}\s*(==|>=|<=|~=|@)|git\+\S*{extension}"
        assert not re.search(pattern, dockerfile_text, re.IGNORECASE), (
            f"docker/Dockerfile chooses its own version of {extension}; "
            f"the pinned one comes from {PINNED_REQUIREMENTS.name}")

    installs = 0
    for stage in stages(CKAN_DOCKERFILE):
        constraints = copied_to(stage, f"requirements/{PINNED_REQUIREMENTS.name}")
        for run in stage.arguments("RUN"):
            for pip in re.findall(r"pip3?\s+(?:install|wheel)\b[^&;|]*", run):
                words = shlex.split(pip)
                used = option_value(words, "--constraint") or option_value(words, "-c") \
                    or option_value(words, "--requirement") or option_value(words, "-r")
                assert used and used in constraints, (
                    f"`{pip.strip()}` does not use requirements/{PINNED_REQUIREMENTS.name} "
                    f"(copied to {constraints or 'nowhere'} in this stage)")
                if words[1] == "install" and distribution in words:
                    installs += 1
    assert installs, f"docker/Dockerfile never installs {distribution}"


# --- the Solr image ------------------------------------------------------------------------

def test_the_solr_image_applies_the_schema_script_of_the_local_stack():
    all_stages = stages(SOLR_DOCKERFILE)
    solr_sources = {stage.alias for stage in all_stages if image_tag(stage.image)[0] == "ckan/ckan-solr"}
    final = all_stages[-1]
    schema_copies = [copy for copy in final.copies() if copy.destination.endswith("/conf/managed-schema")]
    assert len(schema_copies) == 1, "the final stage must replace the configset's managed-schema"
    schema_path = schema_copies[0].destination
    assert schema_path.endswith("/configsets/ckan/conf/managed-schema")
    producer = next((stage for stage in all_stages if stage.alias == schema_copies[0].stage), None)
    assert producer is not None, "the schema must come from a build stage of docker/solr/Dockerfile"

    script = copied_to(producer, "stack/solr/schema_additions.py")
    assert script, "the schema stage must copy stack/solr/schema_additions.py"
    runs = [shlex.split(run) for run in producer.arguments("RUN")]
    applied = [words for words in runs if len(words) == 4 and words[1] == script[0]]
    assert applied, f"no RUN of `python3 {script[0]} IN OUT` in the schema stage"
    _, _, schema_in, schema_out = applied[0]
    assert schema_copies[0].sources == [schema_out], "the image must get the script's output"
    assert any(copy.stage in solr_sources and copy.sources == [schema_path] and copy.target_of(schema_path) == schema_in
               for copy in producer.copies()), "the script must read the schema of CKAN's Solr image"


def test_the_solr_image_carries_the_jts_version_of_the_local_stack():
    pom = ET.parse(REPO_ROOT / "stack" / "solr" / "pom.xml").getroot()
    namespace = pom.tag[:pom.tag.index("}") + 1] if pom.tag.startswith("{") else ""
    jts_version = pom.find(f"{namespace}properties/{namespace}jts.version").text
    final = final_stage(SOLR_DOCKERFILE)
    jars = [PurePosixPath(source).name for copy in final.copies() for source in copy.sources]
    assert f"jts-core-{jts_version}.jar" in jars, (
        f"location_rpt needs jts-core {jts_version} (stack/solr/pom.xml) on Solr's classpath; "
        f"the image adds {jars}")


SAMPLE_SCHEMA = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan-2.12" version="1.6">
<types>
    <fieldType name="string" class="solr.StrField" sortMissingLast="true" omitNorms="true"/>
    <fieldType name="float" class="solr.FloatPointField" omitNorms="true"/>
</types>
<fields>
    <field name="id" type="string" indexed="true" stored="true" required="true"/>
</fields>
<uniqueKey>id</uniqueKey>
</schema>
"""


def sample_schema() -> str:
    return SAMPLE_SCHEMA


def installed_ckan_schema() -> str:
    """The schema the CKAN release ships, which ckan/ckan-solr carries as its managed-schema."""
    import ckan

    return (Path(ckan.__file__).parent / "config" / "solr" / "schema.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("schema", [sample_schema, installed_ckan_schema], ids=["sample", "ckan"])
def test_the_schema_the_solr_image_gets_holds_every_addition(schema):
    module = schema_additions_module()
    original = schema()
    result = ET.fromstring(module.add_fields(original).encode("utf-8"))
    assert result.get("name") == ET.fromstring(original.encode("utf-8")).get("name")
    types = {element.get("name") for tag in ("fieldType", "fieldtype") for element in result.iter(tag)}
    assert module.ADDITIONS
    for snippet in module.ADDITIONS:
        wanted = ET.fromstring(textwrap.dedent(snippet).strip())
        found = [element for element in result.iter(wanted.tag) if element.get("name") == wanted.get("name")]
        assert len(found) == 1 and found[0].attrib == wanted.attrib, f"missing or altered: {snippet.strip()}"
        if wanted.get("type"):
            assert wanted.get("type") in types, f"{wanted.get('name')}: field type {wanted.get('type')} undefined"


# --- services ------------------------------------------------------------------------------

def test_every_process_of_the_local_stack_has_a_compose_service():
    layout = Layout.from_environment()
    declared = compose_services()
    for native, name in INFRASTRUCTURE.items():
        assert name in declared, f"no compose service {name} (the local stack's {native})"
    assert "healthcheck" in declared["db"], "db needs a healthcheck for depends_on"
    assert image_tag(declared["db"]["image"])[0] == "postgres"
    assert image_tag(declared["redis"]["image"])[0] == "redis"
    assert declared["solr"]["build"]["dockerfile"] == "docker/solr/Dockerfile"

    processes = services.portal_processes(layout, DEFAULT_CKAN_SERIES)
    assert {process.name for process in processes} <= set(ckan_services()), (
        "every CKAN process of the local stack must be a compose service of the CKAN image")
    assert len({service["image"] for service in ckan_services().values()}) == 1, "one image for all"
    for process in processes:
        compose_command = command_of(declared[process.name])
        if isinstance(process, services.Web):
            check_web_command(process.command(), compose_command)
        elif isinstance(process, services.HarvestScheduler):
            check_scheduler_command(" ".join(compose_command))
        else:
            native = process.command()
            assert native[1:3] == ["-c", str(layout.portal_ini)]
            assert without_ckan_config(compose_command) == native[3:], (
                f"{process.name}: compose runs {compose_command}, the local stack `ckan {' '.join(native[3:])}`")
        # what a process of the local stack adds to an address (the harvest consumers' Redis
        # read timeout), the compose service adds too, and nothing else
        native_environment = process.environment()
        compose_environment = environment_of(declared[process.name])
        for variable in {*native_environment, *compose_environment}:
            if not (variable.startswith("CKAN_") and variable.endswith("_URL")):
                continue
            assert variable in compose_environment, f"{process.name}: {variable} missing"
            native_query = urlsplit(native_environment.get(variable, "")).query
            assert urlsplit(interpolated(compose_environment[variable])).query == native_query, (
                f"{process.name}: {variable} must end in {native_query!r} as in the local stack")


def check_web_command(native: list[str], compose_command: list[str]) -> None:
    assert PurePosixPath(compose_command[0]).name == PurePosixPath(native[0]).name == "gunicorn"
    workers = option_value(compose_command, "--workers")
    assert workers and int(workers) >= int(option_value(native, "--workers")), "web: too few workers"
    assert option_value(compose_command, "--timeout") == option_value(native, "--timeout")
    # the same WSGI file: stack/wsgi.py, copied into the image
    module = native[-1].partition(":")[0]
    assert (REPO_ROOT / (module.replace(".", "/") + ".py")) == REPO_ROOT / "stack" / "wsgi.py"
    application = compose_command[-1]
    chdir = option_value(compose_command, "--chdir") or "."
    wsgi_file = str(PurePosixPath(chdir) / (application.partition(":")[0].replace(".", "/") + ".py"))
    assert wsgi_file in copied_to(final_stage(CKAN_DOCKERFILE), "stack/wsgi.py"), (
        f"web serves {application} from {chdir}, which is not stack/wsgi.py in the image")
    assert application.partition(":")[2] == native[-1].partition(":")[2]


def check_scheduler_command(script: str) -> None:
    native_default = re.search(r'"JENA_HARVEST_INTERVAL",\s*"(\d+)"',
                               (REPO_ROOT / "stack" / "__main__.py").read_text(encoding="utf-8")).group(1)
    assert re.search(r"\bwhile\b", script), "harvest-scheduler must loop"
    assert re.search(r"\bckan\s+(-c\s+\S+\s+)?harvester\s+run\b", script), "harvest-scheduler: no `ckan harvester run`"
    sleep = re.search(r"\bsleep\s+\"?\$\{JENA_HARVEST_INTERVAL:-(\d+)\}", script)
    assert sleep and sleep.group(1) == native_default, (
        f"harvest-scheduler must sleep JENA_HARVEST_INTERVAL seconds, {native_default} by default")


def host_ports(mapping) -> int | None:
    """How many host ports a port mapping offers: None for none, 1 for a fixed port."""
    if isinstance(mapping, dict):
        published = str(mapping.get("published") or "")
    else:
        parts = str(mapping).split("/")[0].split(":")
        published = parts[-2] if len(parts) >= 2 else ""
    if not published:
        return None
    first, _, last = published.partition("-")
    return int(last) - int(first) + 1 if last else 1


@pytest.mark.parametrize("name", sorted(SCALED))
def test_a_service_scaled_out_in_the_readme_can_have_replicas(name):
    service = compose_services()[name]
    assert "container_name" not in service, f"{name}: container_name allows one container only"
    for mapping in service.get("ports") or []:
        offered = host_ports(mapping)
        assert offered is None or offered >= SCALED[name], (
            f"{name}: host port {mapping} leaves no port for {SCALED[name]} replicas")
    if name == "web":
        assert any(str(mapping).split(":")[-1].split("/")[0] == "5000" for mapping in service.get("ports") or []), \
            "web must publish port 5000"
    assert (service.get("deploy") or {}).get("replicas") in (None, 1)


# --- build contexts and secrets -----------------------------------------------------------

def dockerignore_allows(patterns: list[str], path: str) -> bool:
    allowed = True
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[:length]) for length in range(1, len(parts) + 1)]
    for pattern in patterns:
        excluded = not pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            allowed = not excluded
    return allowed


@pytest.mark.parametrize("dockerfile", [CKAN_DOCKERFILE, SOLR_DOCKERFILE], ids=["ckan", "solr"])
def test_the_build_context_sends_what_the_dockerfile_copies(dockerfile):
    ignore_file = dockerfile.with_name(dockerfile.name + ".dockerignore")
    patterns = [line.strip() for line in ignore_file.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert dockerignore_allows(patterns, ".stack/venvs") is False, "the build context would carry .stack/"
    for stage in stages(dockerfile):
        for copy in stage.copies():
            for source in ([] if copy.stage else copy.sources):
                assert (REPO_ROOT / source).exists(), f"{dockerfile.name}: {source} does not exist"
                assert dockerignore_allows(patterns, source.rstrip("/")), (
                    f"{ignore_file.relative_to(REPO_ROOT)} leaves {source} out of the build context")


def secret_reference(value: str) -> bool:
    """Whether a value is only a reference to a variable of the env file, without a default."""
    return re.fullmatch(r"\$\{\w+(:?\?[^}]*)?\}", value) is not None


ENV_FILE_VALUE = "value-from-env-file"


def interpolated(value: str) -> str:
    """A compose value as compose would pass it on: a variable that must come from the env file
    becomes ENV_FILE_VALUE, a variable with a default that default."""
    def replace(reference):
        if secret_reference(reference.group(0)):
            return ENV_FILE_VALUE
        default = re.fullmatch(r"\$\{\w+:?-(.*)\}", reference.group(0))
        return default.group(1) if default else ""
    return re.sub(r"\$\{[^}]*\}", replace, value)


def test_no_real_secret_in_the_docker_files():
    example = env_example()
    secrets_ = {name: value for name, value in example.items() if SECRET_NAME.search(name)}
    assert secrets_, "docker/.env.example names no secrets"
    for name, value in secrets_.items():
        assert value.startswith(PLACEHOLDER), f"docker/.env.example: {name} must be a {PLACEHOLDER} placeholder"
    ignored = (DOCKER / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored, "docker/.env (the real secrets) must be ignored by git"

    for name, service in compose_services().items():
        for env_file in env_files_of(service):
            assert PurePosixPath(env_file).name == ".env", f"{name} reads {env_file}"
        for variable, value in environment_of(service).items():
            if SECRET_NAME.search(variable):
                assert secret_reference(value), f"{name}: {variable} must come from docker/.env"
            password = urlsplit(interpolated(value)).password if "://" in value else None
            assert password in (None, ENV_FILE_VALUE), (
                f"{name}: {variable} carries a password; take it from docker/.env")
    for dockerfile in (CKAN_DOCKERFILE, SOLR_DOCKERFILE):
        for keyword, arguments in instructions(dockerfile):
            if keyword in ("ENV", "ARG"):
                for word in shlex.split(arguments):
                    variable, _, value = word.partition("=")
                    assert not (SECRET_NAME.search(variable) and value), f"{dockerfile.name}: {word}"
    for path in DOCKER.rglob("*"):
        if path.is_file() and path.name != ".env":
            assert "PRIVATE KEY" not in path.read_text(encoding="utf-8", errors="replace"), path


def run_hooks(folder: Path, environment: dict[str, str]) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Source the start-up hooks as docker/entrypoint.sh does, with a stand-in for ``ckan``
    that records its arguments; return the shell's result and the recorded calls."""
    calls = folder / "ckan-calls"
    stub = folder / "bin" / "ckan"
    stub.parent.mkdir(parents=True)
    stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{calls}"\n')
    stub.chmod(0o755)
    script = "set -eu\n" + "".join(f'. "{hook}"\n' for hook in HOOKS)
    result = subprocess.run(
        ["sh", "-c", script], capture_output=True, text=True, timeout=60,
        env={"PATH": f"{stub.parent}:/usr/bin:/bin", "CKAN_INI": "/srv/app/ckan.ini",
             "CKAN_STORAGE_PATH": str(folder), **environment})
    return result, calls.read_text().splitlines() if calls.exists() else []


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_the_ckan_containers_refuse_the_placeholder_secrets(tmp_path):
    example = env_example()
    result, calls = run_hooks(tmp_path / "placeholders", example)
    assert result.returncode != 0, "the hooks accept the placeholders of docker/.env.example"
    assert not any("SECRET_KEY=" in call for call in calls)

    chosen = {name: f"{name.lower()}-Zq8w3xR5t0p2Lk9m" for name in example if SECRET_NAME.search(name)}
    result, calls = run_hooks(tmp_path / "chosen", {**example, **chosen})
    assert result.returncode == 0, result.stderr
    settings_in_image = copied_to(final_stage(CKAN_DOCKERFILE), "stack/portal-settings.ini")
    assert calls[0] == f"config-tool /srv/app/ckan.ini -f {settings_in_image[0]}"
    written = " ".join(calls[1:])
    for option in ("SECRET_KEY", "WTF_CSRF_SECRET_KEY", "api_token.jwt.encode.secret", "api_token.jwt.decode.secret"):
        assert re.search(rf"(^| ){re.escape(option)}=\S*Zq8w3xR5t0p2Lk9m", written), f"{option} not from docker/.env"


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("flock") is None, reason="needs sh and flock")
def test_the_web_service_alone_migrates_the_database_before_the_others_start(tmp_path):
    declared = ckan_services()
    migrating = {name for name, service in declared.items()
                 if environment_of(service).get("JENA_DB_UPGRADE") == "true"}
    assert migrating == {"web"}, f"services that run `ckan db upgrade`: {sorted(migrating)}"
    assert "healthcheck" in declared["web"]
    for name, service in declared.items():
        if name != "web":
            assert (service.get("depends_on") or {}).get("web", {}).get("condition") == "service_healthy", (
                f"{name} must wait until web has migrated the database and answers")

    example = env_example()
    secrets_ = {name: f"{name.lower()}-Zq8w3xR5t0p2Lk9m" for name in example if SECRET_NAME.search(name)}
    upgrade = "-c /srv/app/ckan.ini db upgrade"
    _, calls = run_hooks(tmp_path / "web", {**example, **secrets_, "JENA_DB_UPGRADE": "true"})
    assert calls[-1] == upgrade, f"web's hooks end with {calls[-1:]}, not `ckan {upgrade}`"
    _, calls = run_hooks(tmp_path / "worker", {**example, **secrets_})
    assert upgrade not in calls
