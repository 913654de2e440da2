"""Builders and paths shared by the tests (this package holds no tests).

One module per thing built: ``pods`` (Pod manifests), ``scheduling`` (Node, Pod and Deployment
manifests), ``placement`` (placement inputs), ``cluster`` (cluster-model objects), ``zones``
(a three-zone cluster and a web Deployment), ``statefulset`` (a StatefulSet with zonal
volumes), ``specs`` (small specs), ``cli`` (running ``kmodel``),
``paths`` (where the repository's specs and fixtures are).
"""
