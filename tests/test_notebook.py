"""after_tasks: an assignment's demonstration cells, before and after its tasks are done."""

import pytest

from course_utils.notebook import after_tasks


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
