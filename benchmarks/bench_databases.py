"""What a real PostgreSQL behind the RDS API costs: creating instances, and a query direct versus through RDS Proxy.

Run: ``python benchmarks/bench_databases.py [--queries 300]``.

- ``create_db_instance`` wall time, first (template cluster made with initdb) and later (a copy of it);
- ``reboot_db_instance`` wall time (fast shutdown and start);
- one ``SELECT 1`` round trip with pg8000, straight to the instance and through the proxy (transaction
  pooling: a borrow and a give-back per query), reported with their ratio;
- a new client connection, straight and through the proxy (the proxy checks the password once per login).
  With pg8000's defaults most of it is the client building a default TLS context (loading the system's CA
  certificates) before it asks for TLS, which these servers decline.
"""

from __future__ import annotations

import argparse
import statistics
import time

import boto3
import pg8000.native

import lambdalab

PASSWORD = "benchmark-password"


def timed(action, repeat: int = 1) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    box = lambdalab.sandbox()
    rds, ec2 = boto3.client("rds"), boto3.client("ec2")

    def create(name: str) -> None:
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="postgres",
            DBInstanceClass="db.t3.micro",
            MasterUsername="app",
            MasterUserPassword=PASSWORD,
            DBName="bench",
        )

    first = timed(lambda: create("bench-0"))[0]
    later = [timed(lambda i=i: create(f"bench-{i}"))[0] for i in range(1, 4)]
    reboot = timed(lambda: rds.reboot_db_instance(DBInstanceIdentifier="bench-1"), 3)
    endpoint = rds.describe_db_instances(DBInstanceIdentifier="bench-0")["DBInstances"][0]["Endpoint"]

    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    rds.create_db_proxy(
        DBProxyName="bench-proxy",
        EngineFamily="POSTGRESQL",
        RoleArn="arn:aws:iam::1:role/r",
        Auth=[{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:s"}],
        VpcSubnetIds=[subnet],
    )
    rds.register_db_proxy_targets(DBProxyName="bench-proxy", DBInstanceIdentifiers=["bench-0"])
    proxy = next(iter(box.databases.proxies.values()))

    def connect(host: str, port: int) -> pg8000.native.Connection:
        return pg8000.native.Connection("app", host=host, port=port, password=PASSWORD, database="bench")

    results = {}
    for label, (host, port) in {
        "direct": (endpoint["Address"], endpoint["Port"]),
        "proxy": (proxy.host, proxy.port),
    }.items():
        connect(host, port).close()  # warm: the proxy's first login opens its first connection
        connections = timed(lambda h=host, p=port: connect(h, p).close(), 20)
        client = connect(host, port)
        queries = timed(lambda c=client: c.run("SELECT 1"), args.queries)
        client.close()
        results[label] = (statistics.median(connections), statistics.median(queries))

    print(f"create_db_instance: first {first:.2f} s, later median {statistics.median(later):.2f} s")
    print(f"reboot_db_instance: median {statistics.median(reboot):.2f} s")
    for label, (connection, query) in results.items():
        print(f"{label:>6}: new connection {connection * 1000:.2f} ms, SELECT 1 {query * 1000:.3f} ms (medians)")
    print(f"proxy / direct per query: {results['proxy'][1] / results['direct'][1]:.2f}x")
    box.reset()


if __name__ == "__main__":
    main()
