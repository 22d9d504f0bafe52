from thdmon.cli import main


def test_serve_help_names_its_options(capsys):
    assert main(["logs", "serve", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--radius", "--syslog", "--db", "--metrics", "--spool", "--patterns"):
        assert option in out


def test_bad_listen_address_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path))
    assert main(["logs", "serve", "--radius", "127.0.0.1"]) == 2
    err = capsys.readouterr().err
    assert "--radius: '127.0.0.1' is not ADDRESS:PORT" in err and "Traceback" not in err


def test_bad_patterns_file_is_a_clear_error_before_binding(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path))
    bad = tmp_path / "patterns.yaml"
    bad.write_text("patterns:\n  - name: x\n    kind: nat\n    match: 'dst=(?P<d>\\S+)'\n    fields: {dst: d}\n")
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "empty.yaml").write_text("sites: []\n")
    assert main(["--inventory", str(inv), "logs", "serve", "--patterns", str(bad), "--radius", "127.0.0.1:0",
                 "--syslog", "127.0.0.1:0", "--metrics", "off", "--spool", str(tmp_path / "spool")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: pattern #1 (x): fields: 'dst' is not a Record field" in err
