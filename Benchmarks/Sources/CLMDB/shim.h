// LMDB from Debian's liblmdb-dev (apt-get install -y liblmdb-dev).
#include <lmdb.h>
