"""The PostgreSQL test cluster (tests/e2e/pg.py, scripts/pg-cluster) works: psql connects with
the connection string it prints, as the current user, through the Unix socket in its own
folder only (no TCP), and can create, fill and read a table."""
import os
import pwd
import stat

from pg import pg_cluster  # noqa: F401  (the fixture)


def test_psql_connects_and_creates_a_table(pg_cluster):  # noqa: F811
    pg_cluster.psql("CREATE TABLE probe (n integer PRIMARY KEY, label text NOT NULL)")
    pg_cluster.psql("INSERT INTO probe VALUES (1, 'one'), (2, 'two')")
    assert pg_cluster.psql("SELECT count(*), max(label) FROM probe").strip() == "2|two"
    pg_cluster.psql("DROP TABLE probe")


def test_the_cluster_is_private_and_listens_on_no_port(pg_cluster):  # noqa: F811
    assert pg_cluster.psql("SHOW listen_addresses").strip() == ""
    assert pg_cluster.psql("SHOW unix_socket_directories").strip() == pg_cluster.folder
    assert pg_cluster.psql("SELECT current_user").strip() == pwd.getpwuid(os.geteuid()).pw_name
    mode = stat.S_IMODE(os.stat(pg_cluster.folder).st_mode)
    assert mode & 0o077 == 0, oct(mode)
