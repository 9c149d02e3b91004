using Backstop.Core.Undo;

namespace Backstop.Core.Tests.Undo;

/// <summary>The order undo writes tables in: parents before children for rows it inserts back, read backwards for rows it deletes.</summary>
public sealed class UndoOrderTests
{
    [Fact]
    public void ParentsFirst_child_given_first_comes_after_its_parent()
    {
        var order = UndoOrder.ParentsFirst(["orders", "customers"], [("orders", "customers")]);

        Assert.Equal(["customers", "orders"], order);
    }

    [Fact]
    public void ParentsFirst_chain_comes_out_root_first_and_read_backwards_leaf_first()
    {
        var order = UndoOrder.ParentsFirst(["line_items", "orders", "customers"], [("line_items", "orders"), ("orders", "customers")]);

        Assert.Equal(["customers", "orders", "line_items"], order);
        Assert.Equal(["line_items", "orders", "customers"], order.Reverse());
    }

    [Fact]
    public void ParentsFirst_places_in_rounds_so_a_table_without_parents_keeps_its_place_in_the_first()
    {
        // Round one: every table whose parents are placed (audit has none, customers has none); round two: orders.
        var order = UndoOrder.ParentsFirst(["orders", "audit", "customers"], [("orders", "customers")]);

        Assert.Equal(["audit", "customers", "orders"], order);
    }

    [Fact]
    public void ParentsFirst_diamond_puts_the_shared_child_after_both_parents_and_ties_in_the_given_order()
    {
        var order = UndoOrder.ParentsFirst(
            ["invoices", "payments", "shipments", "orders"],
            [("invoices", "shipments"), ("invoices", "payments"), ("shipments", "orders"), ("payments", "orders")]);

        Assert.Equal(["orders", "payments", "shipments", "invoices"], order);
    }

    [Fact]
    public void ParentsFirst_self_reference_puts_no_table_before_itself()
    {
        var order = UndoOrder.ParentsFirst(["employees", "departments"], [("employees", "employees"), ("employees", "departments")]);

        Assert.Equal(["departments", "employees"], order);
    }

    [Fact]
    public void ParentsFirst_two_tables_referencing_each_other_come_out_in_the_given_order()
    {
        Assert.Equal(["b", "a"], UndoOrder.ParentsFirst(["b", "a"], [("a", "b"), ("b", "a")]));
        Assert.Equal(["a", "b"], UndoOrder.ParentsFirst(["a", "b"], [("a", "b"), ("b", "a")]));
    }

    [Fact]
    public void ParentsFirst_cycle_places_every_table_left_as_given_its_children_included()
    {
        // root has no parents and is placed first; then nothing left has all its parents placed (a and b wait for each
        // other, c for a), so the rest is placed as given: c before the a it references. Undo relies on deferred keys
        // there, or fails whole (see UndoOrder).
        var order = UndoOrder.ParentsFirst(["c", "a", "b", "root"], [("a", "b"), ("b", "a"), ("c", "a"), ("a", "root")]);

        Assert.Equal(["root", "c", "a", "b"], order);
    }

    [Fact]
    public void ParentsFirst_tables_without_foreign_keys_keep_the_given_order()
    {
        Assert.Equal(["zebra", "yak", "ant"], UndoOrder.ParentsFirst(["zebra", "yak", "ant"], []));
    }

    [Fact]
    public void ParentsFirst_foreign_keys_from_or_to_tables_not_given_are_left_out()
    {
        var order = UndoOrder.ParentsFirst(["orders", "customers"], [("orders", "products"), ("reviews", "customers"), ("orders", "customers")]);

        Assert.Equal(["customers", "orders"], order);
    }

    [Fact]
    public void ParentsFirst_same_tables_and_keys_in_any_order_of_keys_give_the_same_order()
    {
        string[] tables = ["t5", "t3", "t1", "t4", "t2", "t0"];
        (string, string)[] keys = [("t5", "t4"), ("t4", "t3"), ("t3", "t1"), ("t2", "t1"), ("t1", "t0"), ("t3", "t2"), ("t2", "t3")];
        var expected = UndoOrder.ParentsFirst(tables, keys);

        var random = new Random(13);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(expected, UndoOrder.ParentsFirst(tables, keys.OrderBy(_ => random.Next()).ToList()));
        }

        // t0, then t1; t2 and t3 wait for each other, so the rest is placed as given.
        Assert.Equal(["t0", "t1", "t5", "t3", "t4", "t2"], expected);
    }

    [Fact]
    public void ParentsFirst_table_given_twice_is_refused()
    {
        Assert.Throws<ArgumentException>(() => UndoOrder.ParentsFirst(["a", "a"], []));
    }

    [Fact]
    public void ParentsFirst_relation_ids_as_undo_passes_them()
    {
        var order = UndoOrder.ParentsFirst<uint>([16_420, 16_410, 16_400], [(16_420, 16_410), (16_410, 16_400), (16_400, 16_400)]);

        Assert.Equal([16_400u, 16_410u, 16_420u], order);
    }
}
