"""The AnalyzeStack request is serialized one resource at a time (stackctl.analysis.analyzer.analyze_stack_request)."""

from __future__ import annotations

from pulumi.runtime.proto import analyzer_pb2

from stackctl.analysis import analyzer

from .conftest import shipped_run


def test_the_request_bytes_are_the_request_built_whole():
    graph = shipped_run("prod").graph
    serialized = analyzer.analyze_stack_request(graph)
    providers: dict = {}
    whole = analyzer_pb2.AnalyzeStackRequest(
        resources=[analyzer.stack_resource(record, graph, providers) for record in graph.resources])
    parsed = analyzer_pb2.AnalyzeStackRequest.FromString(serialized)
    assert parsed == whole
    assert [resource.urn for resource in parsed.resources] == graph.urns()
    assert len(serialized) == whole.ByteSize()
