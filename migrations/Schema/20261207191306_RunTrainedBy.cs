using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ProCo.Migrations.Schema
{
    /// <inheritdoc />
    public partial class RunTrainedBy : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "TrainedBy",
                table: "Runs",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "TrainedBy",
                table: "Runs");
        }
    }
}
