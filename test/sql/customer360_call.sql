CALL crm.refresh_customer_360(
	target => 'public.customer_360',
	orders_query => 'SELECT customer_id, ordered_at, amount FROM crm_demo.orders',
	items_query => 'SELECT o.customer_id, p.name, l.quantity FROM crm_demo.order_lines l
					JOIN crm_demo.orders o USING (order_id) JOIN crm_demo.products p USING (product_id)
					WHERE l.quantity > 0',
	model_query => 'SELECT model FROM c360_model',
	churn_features => 'c360_features',
	rules => 'c360_rules',
	as_of => '2025-01-01',
	segments => 4,
	seed => 42)
