"""course_utils.notebook: setup's options, and after_tasks (an assignment's demonstration cells)."""

import gc

import pytest

from course_utils.notebook import RARE_GC_THRESHOLDS, after_tasks, collect_garbage_rarely, setup


@pytest.fixture
def gc_thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_rare_gc_raises_the_collector_thresholds(gc_thresholds):
    gc.set_threshold(700, 10, 10)
    setup(seed=0, rare_gc=True)
    assert gc.get_threshold() == RARE_GC_THRESHOLDS
    assert RARE_GC_THRESHOLDS[0] > 100 * 700  # young passes at least 100x rarer than the default


def test_without_rare_gc_the_collector_is_left_alone(gc_thresholds):
    gc.set_threshold(700, 10, 10)
    setup(seed=0)
    assert gc.get_threshold() == (700, 10, 10)


def test_collect_garbage_rarely_is_what_rare_gc_does(gc_thresholds):
    gc.set_threshold(700, 10, 10)
    collect_garbage_rarely()
    assert gc.get_threshold() == RARE_GC_THRESHOLDS


def test_rare_gc_must_be_a_bool(gc_thresholds):
    with pytest.raises(TypeError, match="rare_gc"):
        setup(seed=0, rare_gc="yes")


def test_unfinished_task_prints_a_note_instead_of_the_error(capsys):
    with after_tasks(3):
        raise NotImplementedError
    assert capsys.readouterr().out == "(shown once Task 3 is done; NotImplementedError)\n"


def test_missing_name_names_every_task_it_waits_for(capsys):
    with after_tasks(1, 2, 4):
        raise NameError("name 'train_to' is not defined")
    out = capsys.readouterr().out
    assert out.startswith("(shown once Tasks 1, 2 and 4 are done; NameError: name 'train_to'")


def test_finished_tasks_run_the_cell_and_print_nothing_extra(capsys):
    ran = []
    with after_tasks(1):
        ran.append(True)
    assert ran == [True] and capsys.readouterr().out == ""


def test_other_errors_are_real_and_propagate():
    with pytest.raises(ValueError, match="bad shape"), after_tasks(2):
        raise ValueError("bad shape")


def test_an_open_figure_is_closed_when_the_cell_waits():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.figure()
    with after_tasks(5):
        raise NotImplementedError
    assert plt.get_fignums() == []


def test_at_least_one_task_is_required():
    with pytest.raises(ValueError, match="at least one task"), after_tasks():
        pass
