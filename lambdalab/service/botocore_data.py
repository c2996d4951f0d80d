"""One botocore data loader for the whole process, so a new boto3 session does not re-read AWS's models.

botocore reads its JSON data (service models, endpoint rules, ``endpoints.json``) through a ``Loader``
that remembers every file it parsed, but each ``botocore.session.Session`` makes a loader of its own. A new
session therefore parses the same files again: about 0.1 s of CPU for its first client on an idle laptop
(``benchmarks/bench_boto3_sessions.py``). In a sandbox's process new sessions are the rule, not the
exception:

- every ``lambdalab.sandbox()`` call starts boto3's default session afresh (it may hold credentials from
  before), so the learner's next ``boto3.client(...)`` builds a new one;
- moto, at import, builds plain ``Session()`` objects to list Regions (three for EC2's alone, each parsing
  EC2's 4.5 MB model).

The files are AWS's published data, the same for every session that searches the same folders, and
botocore treats what it loads as read-only (one session already hands the same parsed model to all of its
clients). So the loader is shared per search path: a session with another ``AWS_DATA_PATH`` still gets a
loader of its own that searches its folders.
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session


@functools.lru_cache(maxsize=16)
def shared_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
    """The process's loader for this search path (``AWS_DATA_PATH``), made on first use."""
    return botocore.loaders.create_loader(search_path_string)


def share_data_loader() -> None:
    """Make every botocore session created from now on use the shared loader for its search path.

    botocore's session looks ``create_loader`` up in its own module when it first needs a loader, so
    sessions made before this call, or made with a loader of their own, keep theirs.
    """
    botocore.session.create_loader = shared_loader  # the same function every time: a repeat changes nothing
