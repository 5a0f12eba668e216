"""Local accounts: salted scrypt hashes, refusals with clear messages, and roles for OIDC users."""

import pytest

from dashboard import auth


def test_password_hash_is_salted_and_verifies_only_the_right_password():
    first, second = auth.hash_password("s3cret"), auth.hash_password("s3cret")
    assert first != second  # a fresh salt each time: equal passwords do not give equal hashes
    assert first.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("s3cret", first) and auth.verify_password("s3cret", second)
    assert not auth.verify_password("s3cret ", first)
    assert not auth.verify_password("s3cret", "bcrypt$whatever")
    with pytest.raises(ValueError, match="empty"):
        auth.hash_password("")


def test_users_file_round_trip_and_authentication(tmp_path):
    path = tmp_path / "users.toml"
    auth.save_user(path, "fiona", "pw-fiona", "finance_lead", display_name="Fiona F.")
    auth.save_user(path, "vera", "pw-vera", "viewer")
    assert "pw-fiona" not in path.read_text()
    users = auth.load_users(path)
    fiona = users.authenticate("fiona", "pw-fiona")
    assert fiona == auth.User("fiona", "Fiona F.", "finance_lead")
    assert fiona.can("campaign") and fiona.can("export")
    vera = users.authenticate("vera", "pw-vera")
    assert vera.can("view") and not vera.can("export") and not vera.can("campaign")
    assert users.authenticate("vera", "pw-fiona") is None
    assert users.authenticate("nobody", "pw-vera") is None


def test_bad_users_files_are_refused_naming_the_problem(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text('[users.bob]\nrole = "admin"\npassword_hash = "scrypt$1$1$1$a$b"\n')
    with pytest.raises(auth.UsersFileError, match="'bob' has role 'admin'"):
        auth.load_users(path)
    path.write_text('[users.bob]\nrole = "viewer"\npassword_hash = "plaintext"\n')
    with pytest.raises(auth.UsersFileError, match="needs a password_hash"):
        auth.load_users(path)
    path.write_text("[users\n")
    with pytest.raises(auth.UsersFileError, match="not valid TOML"):
        auth.load_users(path)
    with pytest.raises(auth.UsersFileError, match="role 'boss'"):
        auth.save_user(path.with_name("other.toml"), "bob", "pw", "boss")


def test_oidc_users_get_their_mapped_role_or_the_default(tmp_path, monkeypatch):
    path = tmp_path / "users.toml"
    path.write_text('[roles]\n"Fiona@Example.com" = "finance_lead"\n')
    users = auth.load_users(path)
    assert users.oidc_user("fiona@example.com").role == "finance_lead"
    monkeypatch.delenv("RELANCE_DASHBOARD_DEFAULT_ROLE", raising=False)
    assert users.oidc_user("someone@example.com").role == "viewer"
    monkeypatch.setenv("RELANCE_DASHBOARD_DEFAULT_ROLE", "credit_manager")
    assert users.oidc_user("someone@example.com", "Some One").display_name == "Some One"
    assert users.oidc_user("someone@example.com").role == "credit_manager"


def test_cli_adds_lists_and_removes_users(tmp_path, capsys, monkeypatch):
    import io

    from pipelines.cli import main

    path = tmp_path / "users.toml"
    monkeypatch.setattr("sys.stdin", io.StringIO("long-enough-pw\n"))
    assert (
        main(
            [
                "dashboard",
                "user",
                "add",
                "fiona",
                "--role",
                "finance_lead",
                "--password-stdin",
                "--users-file",
                str(path),
            ]
        )
        == 0
    )
    assert auth.load_users(path).authenticate("fiona", "long-enough-pw").role == "finance_lead"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert (
        main(["dashboard", "user", "add", "bob", "--role", "viewer", "--password-stdin", "--users-file", str(path)])
        == 2
    )
    assert "at least 8 characters" in capsys.readouterr().err
    assert main(["dashboard", "user", "list", "--users-file", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["fiona\tfinance_lead\tfiona"]
    assert main(["dashboard", "user", "remove", "fiona", "--users-file", str(path)]) == 0
    assert auth.load_users(path).users == {}
    assert main(["dashboard", "user", "remove", "fiona", "--users-file", str(path)]) == 2


def test_the_demo_users_file_holds_the_documented_accounts():
    from stores.home import CONFIG_ROOT

    users = auth.load_users(CONFIG_ROOT / "users.toml")
    roles = {name: users.authenticate(name, "relance-demo").role for name in ("vera", "carl", "fiona")}
    assert roles == {"vera": "viewer", "carl": "credit_manager", "fiona": "finance_lead"}
