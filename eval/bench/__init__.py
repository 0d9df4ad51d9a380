"""The performance benchmark (``speechqa bench``): our pipeline against a plain
LangChain pipeline over corpora of 1 to 10,000 speeches.

* :mod:`eval.bench.devcorpus`: the development corpus's documents and question sets;
* :mod:`eval.bench.corpora`: corpora of its documents and synthetic variants of them;
* :mod:`eval.bench.vectors`: the timing and precomputed-vector embedders;
* :mod:`eval.bench.ours` and :mod:`eval.bench.baseline`: one worker per pipeline;
* :mod:`eval.bench.measure`: the run (workers in subprocesses, cold starts, server);
* :mod:`eval.bench.report`: ``bench.json``, ``bench.md`` and the plots.
"""
