"""Optional LDAP bind against the département's directory (ldap3, pure Python).

A user is authenticated by binding as `user_dn` (with `{user}` replaced, escaped); the role comes from
the groups (`member` / `uniqueMember` attributes of the group entries, read with the user's own bind).
Not a member of either group: no access.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Directory:
    url: str
    user_dn: str  # uid={user},ou=people,dc=...
    auditor_group: str
    admin_group: str

    def authenticate(self, name: str, password: str) -> str | None:
        """The role of `name` if the directory accepts the password, else None. Raises OSError if down."""
        import ldap3
        from ldap3.core.exceptions import LDAPBindError, LDAPException, LDAPSocketOpenError
        from ldap3.utils.dn import escape_rdn

        if not password:  # an empty password is an anonymous bind, which "succeeds"
            return None
        dn = self.user_dn.format(user=escape_rdn(name))
        server = ldap3.Server(self.url, connect_timeout=5, get_info=ldap3.NONE)
        try:
            conn = ldap3.Connection(server, user=dn, password=password, auto_bind=True, receive_timeout=10,
                                    read_only=True)
        except LDAPBindError:
            return None
        except (LDAPSocketOpenError, LDAPException) as exc:
            raise OSError(f"directory {self.url}: {exc}") from None
        try:
            for role, group in (("admin", self.admin_group), ("auditor", self.auditor_group)):
                if group and _member(conn, group, dn):
                    return role
            return None
        finally:
            conn.unbind()


def _member(conn: object, group: str, dn: str) -> bool:
    import ldap3

    ok = conn.search(group, "(objectClass=*)", search_scope=ldap3.BASE,  # type: ignore[attr-defined]
                     attributes=["member", "uniqueMember"])
    if not ok:
        return False
    entry = conn.entries[0]  # type: ignore[attr-defined]
    members = {str(v).lower() for attr in ("member", "uniqueMember") if attr in entry
               for v in entry[attr].values}
    return dn.lower() in members
