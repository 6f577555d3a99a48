"""
The Tutor plugin (``tutor/``, package ``tutor-contrib-microcred``) against the real ``tutor`` and
``tutor-mfe`` packages, without Docker: in a temporary ``TUTOR_ROOT``, ``tutor plugins enable
microcred`` and ``tutor config save``, then the rendered environment is read as Tutor would hand it
to Docker Compose, Kubernetes, the image build and edx-platform.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[2]
TUTOR = Path(sys.executable).with_name("tutor")
SWEEP_COMMAND = "./manage.py lms microcred_sweep --loop --interval"
CONSUMED_TOPICS = ["learning-badges-lifecycle", "learning-certificate-lifecycle"]


def _version(path: Path) -> str:
    return re.search(r'^__version__ = "([^"]+)"', path.read_text("utf-8"), re.M).group(1)


VERSION = _version(REPO / "openedx_microcred" / "__init__.py")


class TutorRoot:
    """A TUTOR_ROOT with the microcred (and mfe) plugins enabled and its environment saved."""

    def __init__(self, root: Path):
        self.root = root
        self.env_dir = root / "env"

    def tutor(self, *args: str) -> str:
        env = {**os.environ, "TUTOR_ROOT": str(self.root),
               "TUTOR_PLUGINS_ROOT": str(self.root / "plugins")}
        result = subprocess.run([str(TUTOR), *args], env=env, capture_output=True, text=True,
                                timeout=120, check=False)
        assert result.returncode == 0, f"tutor {' '.join(args)} failed:\n{result.stderr}"
        return result.stdout

    def read(self, relative: str) -> str:
        return (self.env_dir / relative).read_text("utf-8")

    def config(self) -> dict:
        return yaml.safe_load((self.root / "config.yml").read_text("utf-8"))

    def compose_services(self) -> dict:
        return yaml.safe_load(self.read("local/docker-compose.yml"))["services"]

    def k8s_deployments(self) -> dict[str, dict]:
        documents = yaml.safe_load_all(self.read("k8s/deployments.yml"))
        return {d["metadata"]["name"]: d for d in documents if d and d["kind"] == "Deployment"}


def _make_root(tmp_path_factory, name: str, *settings: str) -> TutorRoot:
    root = TutorRoot(tmp_path_factory.mktemp(name))
    root.tutor("plugins", "enable", "microcred", "mfe")
    extra = [arg for setting in settings for arg in ("--set", setting)]
    root.tutor("config", "save", *extra)
    return root


@pytest.fixture(scope="module")
def default_root(tmp_path_factory) -> TutorRoot:
    return _make_root(tmp_path_factory, "tutor-default")


@pytest.fixture(scope="module")
def opted_in_root(tmp_path_factory) -> TutorRoot:
    return _make_root(tmp_path_factory, "tutor-opted-in",
                      "MICROCRED_ENABLE_EVENT_BUS_CONSUMER=true", "MICROCRED_ENABLE_MFE_SLOTS=true",
                      "ENABLE_HTTPS=true", "LMS_HOST=lms.example.org",
                      "CMS_HOST=studio.example.org")


# -- the package and its installation ----------------------------------------------------------

def test_plugin_is_installed_enabled_and_versioned_with_the_package(default_root):
    listing = default_root.tutor("plugins", "list")
    line = next(line for line in listing.splitlines() if line.startswith("microcred"))
    assert "enabled" in line
    assert VERSION in line
    assert _version(REPO / "tutor" / "tutormicrocred" / "__about__.py") == VERSION


def test_the_openedx_image_installs_the_pinned_package(default_root):
    dockerfile = default_root.read("build/openedx/Dockerfile")
    install = f"$PIP_COMMAND install 'openedx-microcred=={VERSION}'"
    assert install in dockerfile
    # in the image's Python requirements stage, after the platform's own requirements
    assert dockerfile.index("openedx-scorm-xblock") < dockerfile.index(install)


# -- LMS and Studio settings -------------------------------------------------------------------

SETTINGS_FILES = [f"apps/openedx/settings/{service}/{kind}.py"
                  for service in ("lms", "cms") for kind in ("production", "development")]


@pytest.mark.parametrize("relative", SETTINGS_FILES)
def test_settings_files_compile_and_select_the_edxapp_backend(default_root, relative):
    source = default_root.read(relative)
    compile(source, relative, "exec")  # SyntaxError fails the test
    assert 'MICROCRED_PLATFORM_BACKEND = "openedx_microcred.platform.edxapp"' in source
    assert "openedx_microcred.tasks.evaluate_learner" in source


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_production_settings_set_the_issuer_host_from_lms_host(opted_in_root, service):
    source = opted_in_root.read(f"apps/openedx/settings/{service}/production.py")
    assert 'MICROCRED_ISSUER_HOST = "lms.example.org"' in source


def test_celery_routing_sends_every_task_of_the_package_to_the_lms_queue(default_root):
    patch = default_root.tutor("config", "patches", "show", "openedx-common-settings")
    namespace = {"EXPLICIT_QUEUES": {"lms.djangoapps.x.task": {"queue": "edx.lms.core.high"}}}
    exec(compile(patch, "openedx-common-settings", "exec"), namespace)  # noqa: S102
    queues = namespace["EXPLICIT_QUEUES"]
    assert queues["lms.djangoapps.x.task"] == {"queue": "edx.lms.core.high"}  # kept
    routed = {name for name, route in queues.items() if route == {"queue": "edx.lms.core.default"}}
    assert routed == _package_tasks()


def _package_tasks() -> set[str]:
    """Every ``@shared_task`` function of openedx_microcred/tasks.py, by its Celery name."""
    tree = ast.parse((REPO / "openedx_microcred" / "tasks.py").read_text("utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Name) and target.id == "shared_task":
                    names.add(f"openedx_microcred.tasks.{node.name}")
    assert names, "no task found: the parser is out of date"
    return names


# -- the key-encryption key --------------------------------------------------------------------

def test_key_encryption_key_is_a_unique_valid_fernet_key_kept_in_config(default_root,
                                                                        opted_in_root):
    key = default_root.config()["MICROCRED_KEY_ENCRYPTION_KEY"]
    Fernet(key.encode())  # raises ValueError unless url-safe base64 of 32 bytes
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert opted_in_root.config()["MICROCRED_KEY_ENCRYPTION_KEY"] != key  # unique per install
    default_root.tutor("config", "save")
    assert default_root.config()["MICROCRED_KEY_ENCRYPTION_KEY"] == key  # stable


def test_many_generated_keys_are_valid_fernet_keys():
    # the plugin's own default (a template), rendered many times by Tutor's renderer
    script = ("from tutor import env, hooks\n"
              "import tutormicrocred.plugin\n"
              "unique = dict(hooks.Filters.CONFIG_UNIQUE.iterate())\n"
              "default = unique['MICROCRED_KEY_ENCRYPTION_KEY']\n"
              "print('\\n'.join(env.render_str({}, default) for _ in range(300)))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    keys = result.stdout.split()
    assert len(set(keys)) == 300
    for key in keys:
        Fernet(key.encode())


def test_key_encryption_keys_reach_edxapp_through_the_auth_config_not_settings(default_root):
    key = default_root.config()["MICROCRED_KEY_ENCRYPTION_KEY"]
    for service in ("lms", "cms"):
        tokens = yaml.safe_load(default_root.read(f"apps/openedx/config/{service}.env.yml"))
        assert tokens["MICROCRED_KEY_ENCRYPTION_KEYS"] == [key]
        assert "SECRET_KEY" in tokens  # the same file Tutor keeps the platform's secrets in
    leaks = [str(path.relative_to(default_root.env_dir)) for path in default_root.env_dir.rglob("*")
             if path.is_file() and key in path.read_text("utf-8", "replace")]
    assert sorted(leaks) == ["apps/openedx/config/cms.env.yml", "apps/openedx/config/lms.env.yml"]


def test_a_previous_key_still_decrypts_after_rotation(tmp_path_factory):
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    root = _make_root(tmp_path_factory, "tutor-rotated", f"MICROCRED_KEY_ENCRYPTION_KEY={new}",
                      f"MICROCRED_PREVIOUS_KEY_ENCRYPTION_KEYS=[\"{old}\"]")
    tokens = yaml.safe_load(root.read("apps/openedx/config/lms.env.yml"))
    assert tokens["MICROCRED_KEY_ENCRYPTION_KEYS"] == [new, old]  # the first encrypts


# -- services --------------------------------------------------------------------------------

def test_compose_runs_the_sweeper_like_the_lms_worker(default_root):
    services = default_root.compose_services()
    sweeper, lms = services["microcred-sweeper"], services["lms"]
    assert sweeper["image"] == lms["image"]
    assert sweeper["command"].startswith(SWEEP_COMMAND)
    assert sweeper["environment"] == {"SERVICE_VARIANT": "lms",
                                      "DJANGO_SETTINGS_MODULE": "lms.envs.tutor.production"}
    mounts = {volume.split(":")[1] for volume in sweeper["volumes"]}
    assert mounts == {"/openedx/edx-platform/lms/envs/tutor",
                      "/openedx/edx-platform/cms/envs/tutor", "/openedx/config"}
    assert sweeper["restart"] == "unless-stopped"
    assert not [name for name in services if name.startswith("microcred-consumer")]  # opt-in


def test_kubernetes_runs_the_sweeper_with_the_openedx_configmaps(default_root):
    deployments = default_root.k8s_deployments()
    spec = deployments["microcred-sweeper"]["spec"]
    assert spec["replicas"] == 1  # one sweeper: the sweep is idempotent, but once is enough
    container = spec["template"]["spec"]["containers"][0]
    assert container["image"] == deployments["lms-worker"]["spec"]["template"]["spec"][
        "containers"][0]["image"]
    assert " ".join(container["args"]).startswith(SWEEP_COMMAND)
    config_maps = {v["configMap"]["name"] for v in spec["template"]["spec"]["volumes"]}
    assert config_maps == {"openedx-settings-lms", "openedx-settings-cms", "openedx-config"}
    assert not [name for name in deployments if name.startswith("microcred-consumer")]


def test_opt_in_event_bus_consumers_in_compose_and_kubernetes(opted_in_root):
    services = opted_in_root.compose_services()
    deployments = opted_in_root.k8s_deployments()
    for topic in CONSUMED_TOPICS:
        name = f"microcred-consumer-{topic}"
        command = services[name]["command"]
        assert command.startswith(f"./manage.py lms consume_events -t {topic} -g openedx-microcred")
        extra = json.loads(command.split("--extra ", 1)[1].strip("'"))
        assert extra == {"consumer_name": f"microcred-{topic}", "check_backlog": True}
        args = deployments[name]["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[:7] == ["./manage.py", "lms", "consume_events", "-t", topic, "-g",
                            "openedx-microcred"]
        assert json.loads(args[-1]) == extra


def test_init_task_bootstraps_issuers_after_the_lms_migrations(default_root):
    script = (
        "import sys\n"
        "from tutor import config, hooks\n"
        "import tutor.commands.jobs\n"
        "hooks.Actions.CORE_READY.do()  # discovers the installed plugins, as the CLI does\n"
        "hooks.Actions.PROJECT_ROOT_READY.do(sys.argv[1])  # loads the enabled ones\n"
        "config.load_full(sys.argv[1])\n"
        "for service, task in hooks.Filters.CLI_DO_INIT_TASKS.iterate():\n"
        "    print(service, '|', task.strip().splitlines()[-1] if 'migrate' not in task "
        "else 'MIGRATE')\n")
    env = {**os.environ, "TUTOR_PLUGINS_ROOT": str(default_root.root / "plugins")}
    result = subprocess.run([sys.executable, "-c", script, str(default_root.root)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    tasks = result.stdout.splitlines()
    ours = "lms | ./manage.py lms microcred_bootstrap"
    assert ours in tasks
    assert tasks.index("lms | MIGRATE") < tasks.index(ours)


# -- MFE slots (opt-in) ----------------------------------------------------------------------

def _app_block(env_config: str, app: str) -> str:
    start = env_config.index(f"if (process.env.APP_ID == '{app}') {{")
    end = env_config.find("if (process.env.APP_ID ==", start + 1)
    return env_config[start:end]


COMPAT_DIR = "plugins/mfe/build/mfe/site/src"
URL_CONSTANTS = ("const microcredLmsUrl = 'https://lms.example.org';",
                 "const microcredStudioUrl = 'https://studio.example.org';")


def test_mfe_slots_are_off_by_default(default_root):
    assert "microcred" not in default_root.read("plugins/mfe/build/mfe/env.config.jsx")
    assert not list((default_root.env_dir / COMPAT_DIR).glob("env.config.*.jsx"))


def _assert_widget(config: str) -> None:
    assert "addPlugins(config, 'org.openedx.frontend.learner_dashboard.widget_sidebar.v1'" in config
    assert "type: 'IFRAME_PLUGIN'," in config  # frontend-plugin-framework's constant's value
    assert "url: `${microcredLmsUrl}/microcred/widget/`," in config


def _assert_studio_link(config: str) -> None:
    slot = "org.openedx.frontend.authoring.additional_course_plugin.v1"
    assert f"addPlugins(config, '{slot}'" in config
    assert "${microcredStudioUrl}/microcred/studio/courses/${courseKey}/" in config
    assert "match(/\\/course\\/(course-v1:[^/]+)/)" in config


def test_opt_in_mfe_slots_in_the_legacy_mfe_configuration(opted_in_root):
    env_config = opted_in_root.read("plugins/mfe/build/mfe/env.config.jsx")
    first_app = env_config.index("if (process.env.APP_ID ==")
    for constant in URL_CONSTANTS:  # defined once, before every per-MFE block
        assert env_config.count(constant) == 1
        assert env_config.index(constant) < first_app
    dashboard = _app_block(env_config, "learner-dashboard")
    _assert_widget(dashboard)
    assert "additional_course_plugin" not in dashboard
    authoring = _app_block(env_config, "authoring")
    _assert_studio_link(authoring)
    assert "widget_sidebar" not in authoring
    assert "microcred" not in _app_block(env_config, "learning")


def test_opt_in_mfe_slots_in_the_frontend_base_compatibility_files(opted_in_root):
    compat = opted_in_root.env_dir / COMPAT_DIR
    assert sorted(p.name for p in compat.glob("env.config.*.jsx")) == [
        "env.config.authoring.jsx", "env.config.learner-dashboard.jsx"]
    dashboard = (compat / "env.config.learner-dashboard.jsx").read_text("utf-8")
    authoring = (compat / "env.config.authoring.jsx").read_text("utf-8")
    for config in (dashboard, authoring):
        setup = config.index("function setConfig()")
        for constant in URL_CONSTANTS:
            assert setup < config.index(constant) < config.index("addPlugins(config, '")
    _assert_widget(dashboard)
    assert "additional_course_plugin" not in dashboard
    _assert_studio_link(authoring)
    assert "widget_sidebar" not in authoring
