// SQLite from Debian's libsqlite3-dev (apt-get install -y libsqlite3-dev).
#include <sqlite3.h>
