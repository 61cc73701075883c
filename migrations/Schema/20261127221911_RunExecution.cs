using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProCo.Migrations.Schema
{
    /// <inheritdoc />
    public partial class RunExecution : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "CancelRequested",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Queue",
                table: "Runs",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "StepsPerEpoch",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Attempts",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "CancelRequested",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "Queue",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "StepsPerEpoch",
                table: "Runs");
        }
    }
}
