"""The pytest plugin, run by pytest in throwaway projects (see conftest.py)."""

from __future__ import annotations

import subprocess
import sys

from ugsdk.testing.plugin import RECORD_MODES
from ugsdk.transports import RecordMode


SANDBOX_TESTS = '''
import ugsdk

def test_client_talks_to_the_sandbox(ugsdk_client, ugsdk_sandbox):
    chat = ugsdk_client.create_chat(menu_id=12)
    assert chat.status.value == "queued"
    assert ugsdk_sandbox.chats[chat.id].status.value == "queued"

def test_each_test_gets_a_fresh_sandbox(ugsdk_sandbox):
    assert ugsdk_sandbox.chats == {}
'''

CASSETTE_TESTS = '''
import pytest

MENU = {menu}

@pytest.mark.ugsdk_cassette("waits")
def test_waits(ugsdk_client, ugsdk_cassette):
    waits = ugsdk_client.get_wait_times(MENU)
    assert waits.chat >= 0
    print("RECORDING" if ugsdk_cassette.recording else "REPLAYING")

def test_fixture_client(ugsdk_cassette):
    client = ugsdk_cassette.client()
    assert client.get_company().name
'''


def test_record_modes_match_the_enum():
    assert RECORD_MODES == tuple(mode.value for mode in RecordMode)


def test_sandbox_fixtures_work_in_a_fresh_project(project):
    project.write("test_app.py", SANDBOX_TESTS)
    project.run().assert_outcomes(passed=2)


def test_record_then_replay_then_a_changed_request_fails(project):
    project.write("test_app.py", CASSETTE_TESTS.format(menu=11))
    # Default mode "none": no cassette yet, so the test errors and says how to record.
    result = project.run()
    result.assert_outcomes(errors=1, failed=1)  # in the fixture's setup, and in the test body
    result.lines.fnmatch_lines(["*does not exist; record it first*--ugsdk-record=once*"])

    project.run("--ugsdk-record=once", "-s").assert_outcomes(passed=2)
    cassette = project.path / "cassettes" / "test_app" / "waits.json"
    assert cassette.exists() and (project.path / "cassettes" / "test_app" / "test_fixture_client.json").exists()

    result = project.run("-s")
    result.assert_outcomes(passed=2)
    result.lines.fnmatch_lines(["*REPLAYING*"])

    project.write("test_app.py", CASSETTE_TESTS.format(menu=12))
    result = project.run()
    result.assert_outcomes(passed=1, failed=1)
    result.lines.fnmatch_lines([
        "*CassetteError: no recorded request matches GET /api/v2/menus/12/wait_times*",
        "*path: recorded '/api/v2/menus/11/wait_times', sent '/api/v2/menus/12/wait_times'*",
    ])


def test_unplayed_interactions_fail_at_teardown(project):
    project.write("test_app.py", '''
import pytest

@pytest.mark.ugsdk_cassette
def test_it(ugsdk_client):
    ugsdk_client.get_company()
    if ugsdk_client.transport.recording:
        ugsdk_client.get_menus()
''')
    project.run("--ugsdk-record=once").assert_outcomes(passed=1)
    result = project.run()
    result.assert_outcomes(passed=1, errors=1)
    result.lines.fnmatch_lines(["*1 recorded interaction(s) never played:*", "*http #2 GET /api/v2/menus?lang=en*"])


def test_ini_options_choose_the_folder_and_the_mode(project):
    project.write("pytest.ini", "[pytest]\nugsdk_cassette_dir = recorded/here\nugsdk_record_mode = once\n")
    project.write("test_app.py", '''
def test_it(ugsdk_cassette):
    ugsdk_cassette.client().get_company()
''')
    project.run().assert_outcomes(passed=1)
    assert (project.path / "recorded" / "here" / "test_app" / "test_it.json").exists()


def test_a_bad_record_mode_is_a_usage_error(project):
    project.write("test_app.py", "def test_it():\n    pass\n")
    result = project.run("--ugsdk-record=sometimes")
    assert result.ret != 0
    result.lines.fnmatch_lines(["*--ugsdk-record*invalid choice*"])


def test_an_unknown_marker_option_names_it(project):
    project.write("test_app.py", '''
import pytest

@pytest.mark.ugsdk_cassette(recrod="once")
def test_it(ugsdk_client):
    pass
''')
    result = project.run()
    result.assert_outcomes(errors=1)
    result.lines.fnmatch_lines(["*recrod*unknown ugsdk_cassette option*"])


def test_importing_the_plugin_loads_no_sandbox_and_no_network_library():
    code = (
        "import sys, ugsdk.testing.plugin\n"
        "heavy = [m for m in ('ugsdk.sandbox', 'ugsdk.transports.recorded', 'requests', 'websocket', 'aiohttp') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
